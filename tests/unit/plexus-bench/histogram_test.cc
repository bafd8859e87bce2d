#include "histogram.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <vector>

using plexus::bench::histogram;

TEST_CASE("histogram: values below 256 are exact", "[plexus-bench][histogram]")
{
    for (std::uint64_t v = 0; v < 256; ++v) {
        auto b = histogram::bucket_of(v);
        CHECK(histogram::bucket_low(b) == v);
        CHECK(histogram::bucket_high(b) == v);
    }
    histogram h;
    for (std::uint64_t v = 1; v <= 100; ++v) {
        h.record(v);
    }
    CHECK(h.quantile(0.5) == 50);
    CHECK(h.quantile(0.99) == 99);
    CHECK(h.quantile(1.0) == 100);
    CHECK(h.quantile(0.0) == 1);
    CHECK(h.min() == 1);
    CHECK(h.max() == 100);
    CHECK(h.mean() == Approx(50.5));
}

TEST_CASE("histogram: buckets tile the whole range without gaps or overlaps", "[plexus-bench][histogram]")
{
    for (std::size_t b = 0; b + 1 < histogram::bucket_count; ++b) {
        REQUIRE(histogram::bucket_high(b) + 1 == histogram::bucket_low(b + 1));
        REQUIRE(histogram::bucket_of(histogram::bucket_low(b)) == b);
        REQUIRE(histogram::bucket_of(histogram::bucket_high(b)) == b);
    }
    CHECK(histogram::bucket_of(UINT64_MAX) == histogram::bucket_count - 1);
    CHECK(histogram::bucket_high(histogram::bucket_count - 1) == UINT64_MAX);
}

TEST_CASE("histogram: every value lands in a bucket within 1/128 of it", "[plexus-bench][histogram]")
{
    std::mt19937_64 rng(42);
    for (int i = 0; i < 100000; ++i) {
        auto v = rng() >> (rng() % 64);
        auto b = histogram::bucket_of(v);
        REQUIRE(histogram::bucket_low(b) <= v);
        REQUIRE(v <= histogram::bucket_high(b));
        auto width = double(histogram::bucket_high(b) - histogram::bucket_low(b));
        REQUIRE(width <= double(v) / 128.0);
    }
}

TEST_CASE("histogram: quantiles of a wide distribution are within 1% of the exact ones", "[plexus-bench][histogram]")
{
    std::mt19937_64 rng(7);
    std::lognormal_distribution<double> latency(11.0, 1.5); // around 60 us, a long tail
    std::vector<std::uint64_t> values;
    histogram h;
    for (int i = 0; i < 200000; ++i) {
        auto v = static_cast<std::uint64_t>(latency(rng));
        values.push_back(v);
        h.record(v);
    }
    std::sort(values.begin(), values.end());
    for (double q : { 0.5, 0.9, 0.99, 0.999 }) {
        auto exact = values[static_cast<std::size_t>(std::ceil(q * double(values.size()))) - 1];
        INFO("q=" << q << " exact=" << exact << " got=" << h.quantile(q));
        CHECK(double(h.quantile(q)) == Approx(double(exact)).epsilon(0.01));
    }
    CHECK(h.quantile(1.0) == values.back());
    CHECK(h.max() == values.back());
    CHECK(h.count() == values.size());
}

TEST_CASE("histogram: merge equals recording everything in one", "[plexus-bench][histogram]")
{
    histogram a, b, all;
    for (std::uint64_t v = 0; v < 5000; ++v) {
        auto x = v * v * 37;
        (v % 3 == 0 ? a : b).record(x);
        all.record(x);
    }
    a.merge(b);
    CHECK(a.count() == all.count());
    CHECK(a.min() == all.min());
    CHECK(a.max() == all.max());
    CHECK(a.mean() == Approx(all.mean()));
    for (double q : { 0.1, 0.5, 0.9, 0.99, 0.999 }) {
        CHECK(a.quantile(q) == all.quantile(q));
    }
}

TEST_CASE("histogram: empty and single-value histograms", "[plexus-bench][histogram]")
{
    histogram h;
    CHECK(h.count() == 0);
    CHECK(h.quantile(0.5) == 0);
    CHECK(h.min() == 0);
    CHECK(h.max() == 0);
    CHECK(h.mean() == 0);
    histogram empty;
    h.merge(empty);
    CHECK(h.count() == 0);

    h.record(123456789);
    CHECK(h.quantile(0.0) == 123456789); // clamped to the one value, not the bucket's middle
    CHECK(h.quantile(0.5) == 123456789);
    CHECK(h.quantile(1.0) == 123456789);
    h.record(UINT64_MAX);
    CHECK(h.max() == UINT64_MAX);
    CHECK(h.quantile(1.0) == UINT64_MAX);
}
