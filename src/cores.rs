//! Work split over the machine's cores: headers read, pool rows made and association files
//! written.

/// The most threads a run starts: more buys nothing on a folder's files.
const MOST: usize = 8;

/// Runs `work` on `items` cut into one run of neighbours per core, the first run on the
/// calling thread, and gives the results in the items' order. `work` is told which run it
/// has (0 for the calling thread's).
pub fn per_core<T: Sync, R: Send>(items: &[T], work: impl Fn(usize, &[T]) -> R + Sync) -> Vec<R> {
    let chunk = items.len().div_ceil(threads()).max(1);
    let mut runs: Vec<(usize, &[T])> = items.chunks(chunk).enumerate().collect();
    if runs.is_empty() {
        runs.push((0, items));
    }
    // One run per core: `map_owned` keeps the first on the calling thread.
    map_owned(runs, |(i, run)| work(i, run))
}

/// Turns each of `items` into what `work` makes of it, on every core, in the items' order;
/// the first run of neighbours on the calling thread.
pub fn map_owned<T: Send, R: Send>(mut items: Vec<T>, work: impl Fn(T) -> R + Sync) -> Vec<R> {
    let total = items.len();
    let chunk = total.div_ceil(threads()).max(1);
    let mut runs = Vec::new();
    while items.len() > chunk {
        runs.push(items.split_off(items.len() - chunk));
    }
    let work = &work;
    std::thread::scope(|scope| {
        let others: Vec<_> = runs
            .into_iter()
            .rev()
            .map(|run| scope.spawn(move || run.into_iter().map(work).collect::<Vec<R>>()))
            .collect();
        // Room for every result at once: the results of a million files are large.
        let mut results: Vec<R> = Vec::with_capacity(total);
        results.extend(items.into_iter().map(work));
        for other in others {
            results.extend(other.join().expect("a worker does not panic"));
        }
        results
    })
}

/// How many threads a run uses at most: the cores it may use, up to eight.
pub fn threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MOST)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_the_items_order_and_cover_them_all() {
        let items: Vec<u32> = (0..1000).collect();
        let parts = per_core(&items, |_, part| part.to_vec());
        assert_eq!(parts.concat(), items);
        assert_eq!(per_core(&[] as &[u32], |i, part| (i, part.len())), [(0, 0)]);
    }

    #[test]
    fn owned_items_come_back_mapped_in_their_order() {
        let items: Vec<String> = (0..1001).map(|i| i.to_string()).collect();
        let lengths: Vec<usize> = items.iter().map(String::len).collect();
        assert_eq!(map_owned(items, |s| s.len()), lengths);
        assert!(map_owned(Vec::<u8>::new(), |b| b).is_empty());
    }
}
