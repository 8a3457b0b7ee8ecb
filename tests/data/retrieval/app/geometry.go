package geometry

import "math"

// CircleArea is the area of a circle of the given radius.
func CircleArea(radius float64) float64 {
	return math.Pi * radius * radius
}

// RectanglePerimeter is the length around a rectangle.
func RectanglePerimeter(width, height float64) float64 {
	return 2 * (width + height)
}
