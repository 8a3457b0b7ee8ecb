def test_polygon_area_of_unit_square():
    """Check that the unit square has an area of one."""
    from pkg.geometry import polygon_area
    square = [(0, 0), (1, 0), (1, 1), (0, 1)]
    assert polygon_area(square) == 1.0
