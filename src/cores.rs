//! Work split over the machine's cores: headers read and association files written.

/// The most threads a run starts: more buys nothing on a folder's files.
const MOST: usize = 8;

/// Runs `work` on `items` cut into one run of neighbours per core, the first run on the
/// calling thread, and gives the results in the items' order. `work` is told which run it
/// has (0 for the calling thread's).
pub fn per_core<T: Sync, R: Send>(items: &[T], work: impl Fn(usize, &[T]) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MOST);
    let chunk = items.len().div_ceil(threads).max(1);
    let work = &work;
    std::thread::scope(|scope| {
        let mut parts = items.chunks(chunk);
        let first = parts.next().unwrap_or_default();
        let others: Vec<_> = parts
            .enumerate()
            .map(|(i, part)| scope.spawn(move || work(i + 1, part)))
            .collect();
        let mut results = vec![work(0, first)];
        results.extend(
            others
                .into_iter()
                .map(|other| other.join().expect("a worker does not panic")),
        );
        results
    })
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
}
