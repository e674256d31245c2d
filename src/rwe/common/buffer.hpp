#pragma once
// Large work arrays that are written in full right after they are sized.
//
// std::vector value-initialises what resize() adds: for a buffer of millions of doubles
// that is one extra pass over memory, and the page faults of the fresh memory all land in
// that pass, on one thread. Buffer<T> leaves trivially constructible elements
// uninitialised, so the first touch of each page is the real write, which can be split
// between threads. Everything else is std::vector.

#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace rwe {

template <class T>
class UninitialisedAllocator : public std::allocator<T> {
public:
    using value_type = T;
    template <class U>
    struct rebind {
        using other = UninitialisedAllocator<U>;
    };
    UninitialisedAllocator() noexcept = default;
    template <class U>
    UninitialisedAllocator(const UninitialisedAllocator<U>&) noexcept {}

    // resize(n) without a value: default-initialisation, which leaves a trivial T as is
    template <class U>
    void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
        ::new (static_cast<void*>(p)) U;
    }
    template <class U, class... Args>
    void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
};

template <class T, class U>
bool operator==(const UninitialisedAllocator<T>&, const UninitialisedAllocator<U>&) noexcept {
    return true;
}

template <class T>
using Buffer = std::vector<T, UninitialisedAllocator<T>>;

}  // namespace rwe
