//! Clustering as a job of its own (`heatscope cluster`): one or both axes
//! of a matrix clustered and written as files — scipy's linkage matrix,
//! the leaf order, Newick, the flat clusters of a cut, Cluster 3.0's CDT.
//! A [`ClusterJob`] is checked whole before anything runs, and every tree
//! is computed before the first file is written.

use std::path::{Path, PathBuf};

use npyz::WriterBuilder;

use super::{InputSpec, UsageError, cannot_write, check_folder, check_in_place, cluster_axis, labels, write_clusters};
use crate::cluster::{Axis, ClusterOptions, Dendrogram, When, write_cdt};
use crate::input::{InputError, Matrix};
use crate::output::{one_field, write_atomically};

/// Which axes a job clusters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axes {
    Rows,
    Cols,
    Both,
}

/// Where a tree is cut into flat clusters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cut {
    /// Into this many clusters, as scipy's `fcluster(Z, k, "maxclust")`.
    Count(usize),
    /// At this height, as `fcluster(Z, h, "distance")`.
    Height(f64),
}

/// The files one axis's tree is written to (each optional).
#[derive(Clone, Debug, Default)]
pub struct TreeFiles {
    /// scipy's linkage matrix, an `(n − 1) × 4` `float64` `.npy`.
    pub linkage: Option<PathBuf>,
    /// The labels in leaf order, one a line.
    pub order: Option<PathBuf>,
    pub newick: Option<PathBuf>,
    /// Each label's flat cluster of the job's cut, as TSV.
    pub clusters: Option<PathBuf>,
}

impl TreeFiles {
    fn is_empty(&self) -> bool {
        [&self.linkage, &self.order, &self.newick, &self.clusters].iter().all(|p| p.is_none())
    }
}

/// A clustering job: what to cluster, how, and where the results go.
#[derive(Clone, Debug)]
pub struct ClusterJob {
    pub input: InputSpec,
    pub axes: Axes,
    pub options: ClusterOptions,
    pub cut: Option<Cut>,
    /// The files of the first axis clustered (the rows, or the columns
    /// alone), and of the columns when both are.
    pub files: TreeFiles,
    pub cols_files: TreeFiles,
    /// `PREFIX.cdt` with `PREFIX.gtr` / `PREFIX.atr`, for Java TreeView.
    pub cdt: Option<PathBuf>,
}

impl ClusterJob {
    /// Refuses a job that cannot work, in the command line's words, before
    /// anything is opened; every output's folder must exist.
    pub fn check(&self) -> Result<(), UsageError> {
        let usage = |message: &str| Err(UsageError(message.to_owned()));
        if self.axes != Axes::Both && !self.cols_files.is_empty() {
            return usage("the --cols-*-out options go with --axis both");
        }
        match self.cut {
            Some(Cut::Count(0)) => return usage("--cut 0: ask for at least one cluster"),
            Some(Cut::Height(h)) if !h.is_finite() => {
                return Err(UsageError(format!("--cut-height {h}: give a finite height")));
            }
            None if self.files.clusters.is_some() || self.cols_files.clusters.is_some() => {
                return usage("--clusters-out writes the clusters of a cut: add --cut K or --cut-height H");
            }
            Some(_) if self.files.clusters.is_none() && self.cols_files.clusters.is_none() => {
                return usage("a cut is written by --clusters-out FILE (and --cols-clusters-out): add it");
            }
            _ => {}
        }
        if self.cdt.as_ref().is_some_and(|p| p.as_os_str() == "-") {
            return usage("--cdt-out writes three files, so it needs a name, not -");
        }
        if let Some(k) = self.options.approx.groups.filter(|&k| k < 2) {
            return Err(UsageError(format!("--groups {k}: the approximate mode needs at least 2 groups")));
        }
        if let Some(rows) = self.options.approx.col_sample {
            if self.axes == Axes::Rows {
                return usage("--col-sample samples rows to cluster the columns; it goes with --axis cols or both");
            }
            if rows < 2 {
                return Err(UsageError(format!("--col-sample {rows}: columns need at least 2 sampled rows")));
            }
        }
        for path in self.outputs().into_iter().filter_map(|(_, p)| p) {
            check_folder(&path)?;
        }
        Ok(())
    }

    /// The CDT files' prefix: `--cdt-out results.cdt` names them
    /// results.cdt, results.gtr…
    fn cdt_prefix(&self) -> Option<PathBuf> {
        let prefix = self.cdt.as_ref()?;
        let named = prefix.extension().is_some_and(|e| e.eq_ignore_ascii_case("cdt"));
        Some(if named { prefix.with_extension("") } else { prefix.clone() })
    }

    /// Every output, with the flag that names it.
    fn outputs(&self) -> Vec<(&'static str, Option<PathBuf>)> {
        let with = |extension: &str| {
            self.cdt_prefix().map(|prefix| {
                let mut name = prefix.into_os_string();
                name.push(format!(".{extension}"));
                PathBuf::from(name)
            })
        };
        let (first, cols) = (&self.files, &self.cols_files);
        vec![
            ("--linkage-out", first.linkage.clone()),
            ("--order-out", first.order.clone()),
            ("--newick-out", first.newick.clone()),
            ("--cols-linkage-out", cols.linkage.clone()),
            ("--cols-order-out", cols.order.clone()),
            ("--cols-newick-out", cols.newick.clone()),
            ("--clusters-out", first.clusters.clone()),
            ("--cols-clusters-out", cols.clusters.clone()),
            ("--cdt-out", with("cdt")),
            ("--cdt-out", with("gtr")),
            ("--cdt-out", with("atr")),
        ]
    }

    /// Opens the matrix, clusters the axes and writes the files; the trees,
    /// by axis.
    pub fn run(&self) -> anyhow::Result<Vec<(Axis, Dendrogram)>> {
        self.check()?;
        let matrix = self.input.open()?;
        self.check_outputs(&matrix)?;
        // Converted files were checked for infinities on the way in; a float32
        // .npy mapped in place is checked here, as `info` checks it.
        let dir = self.input.cache_dir();
        check_in_place(&matrix, &dir)?;
        let axes: &[(Axis, &TreeFiles)] = match self.axes {
            Axes::Rows => &[(Axis::Rows, &self.files)],
            Axes::Cols => &[(Axis::Cols, &self.files)],
            Axes::Both => &[(Axis::Rows, &self.files), (Axis::Cols, &self.cols_files)],
        };
        if let Some(Cut::Count(k)) = self.cut {
            for &(axis, _) in axes.iter().filter(|(_, files)| files.clusters.is_some()) {
                let n = axis.len(&matrix);
                if k > n {
                    let items = axis.item_name();
                    return Err(UsageError(format!("--cut {k}: there are {n} {items}s; give 1 to {n} clusters")).into());
                }
            }
        }
        // Every axis is clustered before anything is written, so a failure on
        // the second leaves no half set of outputs.
        let mut trees = Vec::new();
        for &(axis, _) in axes {
            let mut options = self.options;
            if axis == Axis::Cols && options.approx.col_sample.is_some() {
                options.approx.when = When::Always;
            }
            trees.push((axis, cluster_axis(&matrix, axis, &options, &dir)?.0));
        }
        if crate::progress::interrupted() {
            return Err(InputError::Interrupted.into());
        }
        for (&(axis, files), (_, tree)) in axes.iter().zip(&trees) {
            write_tree(&matrix, axis, tree, files)?;
            if let (Some(path), Some(cut)) = (&files.clusters, self.cut) {
                let groups = match cut {
                    Cut::Count(k) => tree.fcluster_maxclust(k),
                    Cut::Height(h) => tree.fcluster_distance(h),
                };
                write_clusters(path, labels(&matrix, axis), &tree.leaves(), &groups)?;
            }
        }
        if let Some(prefix) = self.cdt_prefix() {
            let tree = |wanted: Axis| trees.iter().find(|(axis, _)| *axis == wanted).map(|(_, t)| t);
            write_cdt(&prefix, &matrix, tree(Axis::Rows), tree(Axis::Cols)).map_err(|e| cannot_write(&prefix, &e))?;
        }
        Ok(trees)
    }

    /// Refuses outputs that would overwrite the input (the matrix, its label
    /// files, the trees beside a CDT) or each other.
    fn check_outputs(&self, matrix: &Matrix) -> Result<(), UsageError> {
        let source = &matrix.source().path;
        let mut inputs = vec![source.clone()];
        if source.extension().is_some_and(|e| e.eq_ignore_ascii_case("cdt")) {
            inputs.extend([source.with_extension("gtr"), source.with_extension("atr")]);
        }
        inputs.extend(self.input.label_files(source));
        let inputs: Vec<PathBuf> = inputs.iter().filter(|p| p.exists()).map(|p| resolved(p)).collect();
        let mut taken: Vec<(PathBuf, &str)> = Vec::new();
        for (flag, path) in self.outputs().into_iter().filter_map(|(flag, p)| Some((flag, p?))) {
            if path.as_os_str() == "-" {
                continue;
            }
            let target = resolved(&path);
            let refuse = |why: String| Err(UsageError(format!("{flag} {}: {why}", path.display())));
            if inputs.contains(&target) {
                return refuse("that is an input of this run; write the output somewhere else".to_owned());
            }
            if let Some((_, other)) = taken.iter().find(|(p, _)| *p == target) {
                return refuse(format!("{other} writes there too; give each output its own file"));
            }
            if target.is_dir() {
                return refuse("that is a directory; give a file name".to_owned());
            }
            taken.push((target, flag));
        }
        Ok(())
    }
}

/// The file a path names, with links and `..` resolved where they exist.
fn resolved(path: &Path) -> PathBuf {
    if let Ok(full) = std::fs::canonicalize(path) {
        return full;
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    match (std::fs::canonicalize(parent), path.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => path.to_owned(),
    }
}

/// Writes `tree` of `axis` to the linkage, order and Newick files asked for.
fn write_tree(matrix: &Matrix, axis: Axis, tree: &Dendrogram, files: &TreeFiles) -> anyhow::Result<()> {
    let labels = labels(matrix, axis);
    let written = |path: &Path, result: std::io::Result<()>| result.map_err(|e| cannot_write(path, &e));
    if let Some(path) = &files.linkage {
        written(path, write_linkage(path, tree))?;
    }
    if let Some(path) = &files.order {
        let order = |w: &mut dyn std::io::Write| {
            tree.leaves().into_iter().try_for_each(|leaf| writeln!(w, "{}", one_field(&labels.get(leaf))))
        };
        written(path, write_atomically(path, order))?;
    }
    if let Some(path) = &files.newick {
        let names: Vec<_> = labels.iter().collect();
        let newick = tree.to_newick(&names)?;
        written(path, write_atomically(path, |w| writeln!(w, "{newick}")))?;
    }
    Ok(())
}

/// scipy's linkage matrix as an `(n − 1) × 4` `float64` `.npy`.
pub fn write_linkage(path: &Path, tree: &Dendrogram) -> std::io::Result<()> {
    let z = tree.to_linkage_matrix();
    write_atomically(path, |w| {
        let mut npy = npyz::WriteOptions::new().default_dtype().shape(&[z.len() as u64, 4]).writer(w).begin_nd()?;
        npy.extend(z.iter().flatten().copied())?;
        npy.finish()
    })
}
