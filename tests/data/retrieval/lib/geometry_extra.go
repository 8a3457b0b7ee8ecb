package geometry

// SquareArea is the area of a square with the given side.
func SquareArea(side float64) float64 {
	return side * side
}
