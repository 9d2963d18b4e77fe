//! The level-of-detail pyramid against a naive computation.

use heatscope::input::{Matrix, OpenOptions};
use heatscope::pyramid::{Aggregate, Level, Pyramid, PyramidOrigin, TILE, TileId, build_or_open, open_cached};

/// Deterministic values: xorshift.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    fn permutation(&mut self, n: usize) -> Vec<u32> {
        let mut order: Vec<u32> = (0..n as u32).collect();
        for i in (1..n).rev() {
            order.swap(i, (self.next() * (i + 1) as f64) as usize);
        }
        order
    }
}

fn random_matrix(rows: usize, cols: usize, nan_fraction: f64, rng: &mut Rng) -> Matrix {
    let data = (0..rows * cols)
        .map(|_| if rng.next() < nan_fraction { f32::NAN } else { (rng.next() * 20.0 - 5.0) as f32 })
        .collect();
    Matrix::from_vec(rows, cols, data)
}

/// Mean, min and max of the finite cells of the display-ordered matrix in
/// the block a level cell covers, computed directly.
fn naive(m: &Matrix, rows: &[u32], cols: &[u32], level: Level, y: usize, x: usize) -> [f32; 3] {
    let span = |shrink: u32, i: usize, n: usize| {
        let per = 4usize.pow(shrink);
        i * per..((i + 1) * per).min(n)
    };
    let (mut sum, mut count, mut lo, mut hi) = (0.0f64, 0, f32::INFINITY, f32::NEG_INFINITY);
    for r in span(level.row, y, m.rows()) {
        for c in span(level.col, x, m.cols()) {
            let v = m.row(rows[r] as usize)[cols[c] as usize];
            if !v.is_nan() {
                sum += f64::from(v);
                count += 1;
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
    }
    if count == 0 { [f32::NAN; 3] } else { [(sum / count as f64) as f32, lo, hi] }
}

fn every_tile(p: &Pyramid) -> Vec<TileId> {
    let g = p.geometry();
    g.levels()
        .flat_map(|level| {
            let (ty, tx) = g.tile_counts(level);
            (0..ty).flat_map(move |ty| (0..tx).map(move |tx| TileId { level, ty, tx }))
        })
        .collect()
}

#[test]
fn every_level_equals_the_naive_aggregate() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let m = random_matrix(1100, 1030, 0.15, &mut rng);
    let (rows, cols) = (rng.permutation(1100), rng.permutation(1030));
    let dir = tempfile::tempdir().unwrap();
    let (p, origin) = build_or_open(&m, &rows, &cols, dir.path()).unwrap();
    assert!(matches!(origin, PyramidOrigin::Built(_)));
    assert_eq!(p.geometry().level_counts(), (3, 3), "1100 → 275 → 69 rows; 1030 → 258 → 65 columns");
    let mut checked = 0;
    for id in every_tile(&p) {
        let tile = p.tile(id);
        let range = (0..tile.rect.height)
            .flat_map(|y| (0..tile.rect.width).map(move |x| (y, x)))
            .map(|(y, x)| naive(&m, &rows, &cols, id.level, tile.rect.row + y, tile.rect.col + x))
            .filter(|v| !v[0].is_nan())
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| (lo.min(v[1]), hi.max(v[2])));
        // f16 in units of the tile's own range: error at most range / 8192.
        let tolerance = (range.1 - range.0) / 8192.0 + 1e-6;
        for y in 0..tile.rect.height {
            for x in 0..tile.rect.width {
                let expected = naive(&m, &rows, &cols, id.level, tile.rect.row + y, tile.rect.col + x);
                for (k, which) in [Aggregate::Mean, Aggregate::Min, Aggregate::Max].into_iter().enumerate() {
                    let got = tile.value(y, x, which);
                    if id.level == Level::BASE {
                        assert!(got == expected[k] || (got.is_nan() && expected[k].is_nan()), "{id:?} ({y},{x})");
                        break;
                    }
                    if expected[k].is_nan() {
                        assert!(got.is_nan(), "{id:?} ({y},{x}) {which:?}: {got} should be NaN");
                    } else {
                        assert!(
                            (got - expected[k]).abs() <= tolerance,
                            "{id:?} ({y},{x}) {which:?}: {got} vs {}",
                            expected[k]
                        );
                    }
                }
                checked += 1;
            }
        }
    }
    let (base, aggregate) = p.geometry().cell_counts();
    assert_eq!(checked as u64, base + aggregate, "every cell of every level was checked");
}

#[test]
fn deep_row_levels_that_span_several_steps_equal_the_naive_aggregate() {
    // 300,000 rows make 7 row levels; levels 6 and up merge rows that come
    // from different 1,024-row steps of the build.
    let mut rng = Rng(31);
    let m = random_matrix(300_000, 2, 0.2, &mut rng);
    let rows = rng.permutation(300_000);
    let dir = tempfile::tempdir().unwrap();
    let (p, _) = build_or_open(&m, &rows, &[1, 0], dir.path()).unwrap();
    assert_eq!(p.geometry().level_counts(), (7, 1));
    for id in every_tile(&p).into_iter().filter(|id| id.level.row >= 5) {
        let tile = p.tile(id);
        for y in 0..tile.rect.height {
            for x in 0..tile.rect.width {
                // Values lie in [−5, 15): f16 in units of a tile's range
                // errs by at most 20 / 8192 < 0.003.
                let expected = naive(&m, &rows, &[1, 0], id.level, tile.rect.row + y, tile.rect.col + x);
                for (k, which) in [Aggregate::Mean, Aggregate::Min, Aggregate::Max].into_iter().enumerate() {
                    let got = tile.value(y, x, which);
                    assert!((got - expected[k]).abs() < 0.003, "{id:?} ({y},{x}) {which:?}: {got} vs {}", expected[k]);
                }
            }
        }
    }
}

#[test]
fn statistics_match_the_values() {
    let mut rng = Rng(77);
    let m = random_matrix(300, 200, 0.05, &mut rng);
    let dir = tempfile::tempdir().unwrap();
    let identity = |n: usize| (0..n as u32).collect::<Vec<_>>();
    let (p, _) = build_or_open(&m, &identity(300), &identity(200), dir.path()).unwrap();
    let mut finite: Vec<f32> = m.data().iter().copied().filter(|v| !v.is_nan()).collect();
    finite.sort_by(f32::total_cmp);
    let s = p.stats();
    assert_eq!(s.nan_count + s.finite_count, 60_000);
    assert_eq!(s.finite_count as usize, finite.len());
    assert_eq!((s.min, s.max), (finite[0], *finite.last().unwrap()));
    let mean = finite.iter().map(|&v| f64::from(v)).sum::<f64>() / finite.len() as f64;
    assert!((s.mean - mean).abs() < 1e-9);
    // Small enough that every value is sampled: the percentiles are exact.
    assert_eq!(s.sampled as usize, finite.len());
    // numpy's linear percentile: rank q · (n − 1), between its neighbours.
    let at = |q: f64| {
        let rank = q * (finite.len() - 1) as f64;
        let (a, b) = (f64::from(finite[rank.floor() as usize]), f64::from(finite[rank.ceil() as usize]));
        (a + (b - a) * (rank - rank.floor())) as f32
    };
    assert_eq!((s.p02, s.p98), (at(0.02), at(0.98)));
}

#[test]
fn a_single_outlier_stays_visible_at_the_coarsest_level() {
    let (rows, cols) = (200_000, 8);
    let mut data: Vec<f32> = (0..rows * cols).map(|i| ((i % 7) as f32 - 3.0) * 0.1).collect();
    data[123_457 * cols + 5] = 50.0;
    let m = Matrix::from_vec(rows, cols, data);
    let identity = |n: usize| (0..n as u32).collect::<Vec<_>>();
    let dir = tempfile::tempdir().unwrap();
    let (p, _) = build_or_open(&m, &identity(rows), &identity(cols), dir.path()).unwrap();
    let (row_levels, _) = p.geometry().level_counts();
    let coarsest = Level { row: row_levels - 1, col: 0 };
    assert_eq!(p.geometry().level_shape(coarsest), (196, 8), "200,000 rows shown as 196");
    let tile = p.tile(TileId { level: coarsest, ty: 0, tx: 0 });
    let y = 123_457 / 4usize.pow(row_levels - 1);
    assert!((tile.value(y, 5, Aggregate::Max) - 50.0).abs() < 0.01, "the outlier is the max of its cell");
    assert!(tile.value(y, 5, Aggregate::Mean) < 0.1, "but barely moves the mean");
    for other in (0..196).filter(|&r| r != y) {
        assert!(tile.value(other, 5, Aggregate::Max) < 0.31, "row {other}");
    }
}

#[test]
fn a_pyramid_is_reused_until_its_matrix_or_orders_change_and_never_trusted_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let tsv = dir.path().join("m.tsv");
    std::fs::write(&tsv, "g\ta\tb\nx\t1\t2\ny\t3\t4\nz\t5\tNA\n").unwrap();
    let options = OpenOptions { cache_dir: Some(dir.path().join("cache")), ..OpenOptions::default() };
    let m = Matrix::open(&tsv, &options).unwrap();
    let pyramids = dir.path().join("pyramids");
    assert!(open_cached(&m, &[2, 0, 1], &[1, 0], &pyramids).unwrap().is_none(), "nothing is built yet");
    let (first, origin) = build_or_open(&m, &[2, 0, 1], &[1, 0], &pyramids).unwrap();
    let PyramidOrigin::Built(path) = origin else { panic!("expected a new pyramid") };
    let tile = TileId { level: Level::BASE, ty: 0, tx: 0 };
    let TileDataExact(values) = exact(&first, tile);
    assert!(values[0].is_nan() && values[1..] == [5.0, 2.0, 1.0, 4.0, 3.0]);
    assert_eq!(build_or_open(&m, &[2, 0, 1], &[1, 0], &pyramids).unwrap().1, PyramidOrigin::Reused(path.clone()));
    let cached = open_cached(&m, &[2, 0, 1], &[1, 0], &pyramids).unwrap().expect("the pyramid just built");
    let TileDataExact(again) = exact(&cached, tile);
    assert!(again[0].is_nan() && again[1..] == [5.0, 2.0, 1.0, 4.0, 3.0]);
    assert!(open_cached(&m, &[0, 1, 2], &[1, 0], &pyramids).unwrap().is_none(), "not built in that order");
    assert!(open_cached(&m, &[0, 0, 1], &[1, 0], &pyramids).is_err(), "not an order");

    // Other orders: another pyramid.
    let (_, other) = build_or_open(&m, &[0, 1, 2], &[0, 1], &pyramids).unwrap();
    assert!(matches!(other, PyramidOrigin::Built(p) if p != path));

    // A damaged or cut file is rebuilt under the same name.
    for damage in [|b: &mut Vec<u8>| b.truncate(b.len() - 1), |b: &mut Vec<u8>| b[30] ^= 0x40] {
        let mut bytes = std::fs::read(&path).unwrap();
        damage(&mut bytes);
        std::fs::write(&path, &bytes).unwrap();
        assert!(open_cached(&m, &[2, 0, 1], &[1, 0], &pyramids).unwrap().is_none(), "a damaged file is not used");
        assert_eq!(build_or_open(&m, &[2, 0, 1], &[1, 0], &pyramids).unwrap().1, PyramidOrigin::Replaced(path.clone()));
    }

    // The source changes: new values, new pyramid.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&tsv, "g\ta\tb\nx\t9\t2\ny\t3\t4\nz\t5\tNA\n").unwrap();
    let changed = Matrix::open(&tsv, &options).unwrap();
    let (p, origin) = build_or_open(&changed, &[2, 0, 1], &[1, 0], &pyramids).unwrap();
    assert!(matches!(origin, PyramidOrigin::Built(_)));
    let TileDataExact(values) = exact(&p, tile);
    assert_eq!(values[4..], [4.0, 3.0]);
    assert_eq!(values[3], 9.0);
}

struct TileDataExact(Vec<f32>);

fn exact(p: &Pyramid, id: TileId) -> TileDataExact {
    match p.tile(id).data {
        heatscope::pyramid::TileData::Exact(v) => TileDataExact(v),
        other => panic!("expected full-resolution values, got {other:?}"),
    }
}

#[test]
fn constant_tiles_and_values_near_the_f32_limits_read_back() {
    let columns: Vec<u32> = (0..300).collect();
    let dir = tempfile::tempdir().unwrap();
    let coarse = TileId { level: Level { row: 0, col: 1 }, ty: 0, tx: 0 };

    // A constant row with a NaN: each aggregate cell's f32 mean may round an
    // ulp away from the value, which must not be scaled up to infinity.
    let mut data = vec![7.346_068_4f32; 300];
    data[0] = f32::NAN;
    let (p, _) = build_or_open(&Matrix::from_vec(1, 300, data), &[0], &columns, dir.path()).unwrap();
    let tile = p.tile(coarse);
    for x in 0..tile.rect.width {
        let mean = tile.value(0, x, Aggregate::Mean);
        assert!((mean - 7.346_068_4).abs() < 1e-5, "cell {x}: {mean}");
    }

    // Values near ±f32::MAX in one tile: its range must not overflow.
    let mut data = vec![1.0f32; 300];
    data[298] = -3.0e38;
    data[299] = 3.0e38;
    let (p, _) = build_or_open(&Matrix::from_vec(1, 300, data), &[0], &columns, dir.path()).unwrap();
    let tile = p.tile(coarse);
    let last = tile.rect.width - 1;
    let (min, max) = (tile.value(0, last, Aggregate::Min), tile.value(0, last, Aggregate::Max));
    assert!((min + 3.0e38).abs() < 1e35 && (max - 3.0e38).abs() < 1e35, "{min} {max}");
}

#[test]
fn an_infinite_value_is_refused_with_its_display_row() {
    let mut data = vec![0.5f32; 600 * 3];
    data[431 * 3 + 2] = f32::NEG_INFINITY;
    let m = Matrix::from_vec(600, 3, data);
    let rows: Vec<u32> = (0..600).rev().collect();
    let dir = tempfile::tempdir().unwrap();
    let err = build_or_open(&m, &rows, &[0, 1, 2], dir.path()).err().unwrap();
    assert!(err.to_string().contains("display row 168 holds an infinite value"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no file is left behind");
}

#[test]
fn orders_must_be_permutations() {
    let m = Matrix::from_vec(2, 2, vec![1.0; 4]);
    let dir = tempfile::tempdir().unwrap();
    let err = build_or_open(&m, &[0, 0], &[0, 1], dir.path()).err().unwrap();
    assert_eq!(err.to_string(), "the row order has 2 entries for 2 rows, or is not a permutation of them");
    assert!(build_or_open(&m, &[0, 1], &[1], dir.path()).is_err());
}

#[test]
fn the_loader_serves_tiles_from_workers_then_from_its_bounded_cache() {
    use heatscope::pyramid::TileLoader;
    let mut rng = Rng(5);
    let m = random_matrix(1500, 600, 0.0, &mut rng);
    let identity = |n: usize| (0..n as u32).collect::<Vec<_>>();
    let dir = tempfile::tempdir().unwrap();
    let (p, _) = build_or_open(&m, &identity(1500), &identity(600), dir.path()).unwrap();
    let p = std::sync::Arc::new(p);
    let tiles: Vec<TileId> = every_tile(&p);
    let full_tile = 4 * TILE * TILE;
    let mut loader = TileLoader::new(std::sync::Arc::clone(&p), 2, 3 * full_tile);
    for &id in &tiles {
        assert!(loader.request(id));
        assert!(loader.request(id)); // asked twice while loading: read once
    }
    // A tile the pyramid does not have is refused, not sent to a worker.
    assert!(!loader.request(TileId { level: Level::BASE, ty: 99, tx: 0 }));
    assert!(!loader.request(TileId { level: Level { row: 9, col: 0 }, ty: 0, tx: 0 }));
    let mut got = Vec::new();
    while let Some(tile) = loader.wait() {
        got.push(tile);
    }
    assert_eq!(got.len(), tiles.len());
    for tile in &got {
        assert_eq!(**tile, p.tile(tile.id), "{:?}", tile.id);
    }
    let stats = loader.stats();
    assert_eq!(stats.reads, tiles.len() as u64);
    assert!(stats.resident_bytes <= 3 * full_tile, "the cache keeps to its budget: {stats:?}");

    // The most recent tile is still cached: served without a read.
    let last = got.last().unwrap().id;
    loader.request(last);
    let again = loader.poll();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, last);
    assert_eq!(loader.stats().hits, 1);
    assert_eq!(loader.stats().reads, tiles.len() as u64);

    // Withdrawn requests are skipped: a fresh loader asked for every tile,
    // then for two only, delivers those two and stops.
    let mut loader = TileLoader::new(std::sync::Arc::clone(&p), 1, 0);
    for &id in &tiles {
        loader.request(id);
    }
    let keep = [tiles[tiles.len() - 1], tiles[tiles.len() - 2]];
    loader.retain(|id| keep.contains(id));
    let mut got = Vec::new();
    while let Some(tile) = loader.wait() {
        got.push(tile.id);
    }
    assert!(keep.iter().all(|id| got.contains(id)), "{got:?}");
    assert!(got.len() <= tiles.len());
    // One withdrawn and asked for again still comes.
    loader.request(tiles[0]);
    loader.retain(|_| false);
    loader.request(tiles[0]);
    assert_eq!(loader.wait().map(|t| t.id), Some(tiles[0]));
    assert!(loader.wait().is_none());
}
