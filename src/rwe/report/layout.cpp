#include "rwe/report/layout.hpp"

#include <limits>

namespace rwe::report {

Box least_covered(const std::vector<Box>& candidates, const std::vector<Point>& points,
                  const std::vector<Box>& taken) {
    Box best;
    double best_cost = std::numeric_limits<double>::infinity();
    for (const Box& candidate : candidates) {
        double cost = 0;
        for (const Point& point : points)
            if (candidate.contains(point.x, point.y)) cost += 1;
        for (const Box& other : taken)
            if (candidate.overlaps(other)) cost += 1e6;
        if (cost < best_cost) {
            best_cost = cost;
            best = candidate;
        }
    }
    return best;
}

}  // namespace rwe::report
