#pragma once
// Placement of in-panel boxes (legends, statistics) where the data are not.

#include <vector>

namespace rwe::report {

struct Box {
    double x = 0, y = 0, width = 0, height = 0;
    bool contains(double px, double py) const {
        return px >= x && px <= x + width && py >= y && py <= y + height;
    }
    bool overlaps(const Box& other) const {
        return x < other.x + other.width && other.x < x + width && y < other.y + other.height &&
               other.y < y + height;
    }
};

struct Point {
    double x = 0, y = 0;
};

// Of the candidate boxes, the first that covers the fewest points and overlaps none of
// `taken`; candidates overlapping `taken` are used only if all do.
Box least_covered(const std::vector<Box>& candidates, const std::vector<Point>& points,
                  const std::vector<Box>& taken = {});

}  // namespace rwe::report
