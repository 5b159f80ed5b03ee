//! The words both stages' plans share: what a planned member names, and the candidates.

/// The shared background candidate of the policy (`SPEC.md` §4.2 item 3): every input is in
/// it, besides its own observation's candidate `oNNN`.
pub const SHARED_CANDIDATE: &str = "c1000";

/// A member of a planned association: an exposure of the pool, or a name derived from one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Name {
    /// The pool row at this index.
    Row(usize),
    /// A derived file name (a WFSS direct image's Stage 3 products, a MIRI LRS nod's `_x1d`).
    Derived(String),
}
