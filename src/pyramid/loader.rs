//! Serving tiles on worker threads: a request is a [`TileId`], the answer a
//! [`Tile`], both plain values. Recently served tiles stay in RAM up to a
//! byte budget, least recently used first out.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::layout::{Geometry, TileId};
use super::store::{Pyramid, Tile};

/// Counters for a heads-up display and for tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoaderStats {
    /// Requests answered from the RAM cache.
    pub hits: u64,
    /// Tiles read from the store by a worker.
    pub reads: u64,
    /// Tiles and bytes held in the RAM cache now.
    pub resident_tiles: usize,
    pub resident_bytes: usize,
}

/// Loads tiles of one pyramid on worker threads.
pub struct TileLoader {
    geometry: Geometry,
    requests: Option<Sender<TileId>>,
    /// A tile read, or the id of a request skipped because it was withdrawn.
    responses: Receiver<Result<Tile, TileId>>,
    workers: Vec<JoinHandle<()>>,
    /// Set when the loader is dropped: workers leave the requests still queued.
    stop: Arc<AtomicBool>,
    /// Requests still wanted: a worker skips a queued one that is not.
    wanted: Arc<Mutex<HashSet<TileId>>>,
    in_flight: HashSet<TileId>,
    /// Served from the cache, waiting for the next [`TileLoader::poll`].
    ready: Vec<Arc<Tile>>,
    cache: Lru,
    stats: LoaderStats,
}

impl TileLoader {
    /// Starts `workers` threads reading from `pyramid`, keeping at most
    /// `budget_bytes` of tiles in RAM.
    pub fn new(pyramid: Arc<Pyramid>, workers: usize, budget_bytes: usize) -> Self {
        let geometry = *pyramid.geometry();
        let (request_tx, request_rx) = mpsc::channel::<TileId>();
        let (response_tx, responses) = mpsc::channel();
        let request_rx = Arc::new(Mutex::new(request_rx));
        let stop = Arc::new(AtomicBool::new(false));
        let wanted: Arc<Mutex<HashSet<TileId>>> = Arc::default();
        let workers = (0..workers.max(1))
            .map(|_| {
                let (pyramid, requests, responses) =
                    (Arc::clone(&pyramid), Arc::clone(&request_rx), response_tx.clone());
                let (stop, wanted) = (Arc::clone(&stop), Arc::clone(&wanted));
                std::thread::spawn(move || {
                    loop {
                        // The lock is held only to take one request.
                        let next = requests.lock().map(|r| r.recv());
                        let Ok(Ok(id)) = next else { return };
                        let still_wanted = wanted.lock().is_ok_and(|w| w.contains(&id));
                        let answer = if still_wanted { Ok(pyramid.tile(id)) } else { Err(id) };
                        if stop.load(Ordering::Relaxed) || responses.send(answer).is_err() {
                            return;
                        }
                    }
                })
            })
            .collect();
        TileLoader {
            geometry,
            requests: Some(request_tx),
            responses,
            workers,
            stop,
            wanted,
            in_flight: HashSet::new(),
            ready: Vec::new(),
            cache: Lru::new(budget_bytes),
            stats: LoaderStats::default(),
        }
    }

    /// Asks for a tile. It arrives from a later [`TileLoader::poll`] (at once
    /// if it is in the RAM cache); asking again while it loads does nothing.
    /// Returns false, and asks nothing, for a tile the pyramid does not have.
    pub fn request(&mut self, id: TileId) -> bool {
        if !self.geometry.contains(id) {
            return false;
        }
        if let Some(tile) = self.cache.get(id) {
            self.stats.hits += 1;
            self.ready.push(tile);
        } else if self.in_flight.insert(id)
            && let Some(requests) = &self.requests
        {
            if let Ok(mut wanted) = self.wanted.lock() {
                wanted.insert(id);
            }
            // Workers outlive the sender, so this cannot fail.
            let _ = requests.send(id);
        }
        true
    }

    /// Withdraws the requests still loading that `keep` rejects: workers
    /// skip them (a view that moved on no longer waits behind them).
    pub fn retain(&mut self, keep: impl Fn(&TileId) -> bool) {
        self.in_flight.retain(&keep);
        if let Ok(mut wanted) = self.wanted.lock() {
            wanted.retain(&keep);
        }
    }

    /// The tiles that arrived since the last call, without waiting.
    pub fn poll(&mut self) -> Vec<Arc<Tile>> {
        let mut arrived = std::mem::take(&mut self.ready);
        while let Ok(answer) = self.responses.try_recv() {
            if let Some(tile) = self.admit(answer) {
                arrived.push(tile);
            }
        }
        arrived
    }

    /// Waits for the next tile still loading; `None` when nothing is in flight.
    pub fn wait(&mut self) -> Option<Arc<Tile>> {
        if let Some(tile) = self.ready.pop() {
            return Some(tile);
        }
        while !self.in_flight.is_empty() {
            if let Some(tile) = self.admit(self.responses.recv().ok()?) {
                return Some(tile);
            }
        }
        None
    }

    /// A worker's answer: the tile read (cached), or nothing for a skipped request.
    fn admit(&mut self, answer: Result<Tile, TileId>) -> Option<Arc<Tile>> {
        let tile = match answer {
            Ok(tile) => tile,
            Err(skipped) => {
                // Asked again after it was withdrawn: it is queued again too.
                if !self.wanted.lock().is_ok_and(|w| w.contains(&skipped)) {
                    self.in_flight.remove(&skipped);
                }
                return None;
            }
        };
        self.in_flight.remove(&tile.id);
        if let Ok(mut wanted) = self.wanted.lock() {
            wanted.remove(&tile.id);
        }
        self.stats.reads += 1;
        let tile = Arc::new(tile);
        self.cache.insert(Arc::clone(&tile));
        Some(tile)
    }

    /// Counters so far.
    pub fn stats(&self) -> LoaderStats {
        LoaderStats { resident_tiles: self.cache.tiles.len(), resident_bytes: self.cache.bytes, ..self.stats }
    }
}

impl Drop for TileLoader {
    fn drop(&mut self) {
        // Closing the request channel lets every worker finish; the flag
        // makes them skip what is still queued.
        self.stop.store(true, Ordering::Relaxed);
        self.requests = None;
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

/// Tiles by id, evicting the least recently used beyond a byte budget.
struct Lru {
    budget: usize,
    bytes: usize,
    tick: u64,
    tiles: HashMap<TileId, (Arc<Tile>, u64)>,
    by_use: BTreeMap<u64, TileId>,
}

impl Lru {
    fn new(budget: usize) -> Self {
        Lru { budget, bytes: 0, tick: 0, tiles: HashMap::new(), by_use: BTreeMap::new() }
    }

    fn get(&mut self, id: TileId) -> Option<Arc<Tile>> {
        self.tick += 1;
        let (tile, used) = self.tiles.get_mut(&id)?;
        self.by_use.remove(used);
        *used = self.tick;
        self.by_use.insert(self.tick, id);
        Some(Arc::clone(tile))
    }

    fn insert(&mut self, tile: Arc<Tile>) {
        self.tick += 1;
        let id = tile.id;
        self.bytes += tile.bytes();
        if let Some((old, used)) = self.tiles.insert(id, (tile, self.tick)) {
            self.bytes -= old.bytes();
            self.by_use.remove(&used);
        }
        self.by_use.insert(self.tick, id);
        while self.bytes > self.budget {
            let Some((_, oldest)) = self.by_use.pop_first() else { break };
            if let Some((old, _)) = self.tiles.remove(&oldest) {
                self.bytes -= old.bytes();
            }
        }
    }
}
