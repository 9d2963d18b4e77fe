// Colour lookup: values → [0, 1] through the norm → one of 256 entries.

// Entries in the lookup table: LUT_SIZE in src/figure/colormap.rs (tests/shaders.rs checks it).
const LUT_SIZE: f32 = 256.0;

// The table entry for position t, as matplotlib picks it: floor(t · 256),
// t = 1 on the last entry (keep in sync with `lut_index` in src/figure/colormap.rs).
fn lut_index(t: f32) -> i32 {
    return i32(clamp(floor(t * LUT_SIZE), 0.0, LUT_SIZE - 1.0));
}

// NaN marks missing values; the matrix holds no infinities, so an all-ones
// exponent means NaN. (Compilers may fold `x != x` away.)
fn is_missing(v: f32) -> bool {
    return (bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u;
}
