//! Bulk export and load: the kit's side of contract 2.4.
//!
//! A driver with a native bulk path overrides [`crate::Connection::copy_out_start`] and
//! friends; every other driver gets the generic path here (a query's rows read through its
//! cursor, multi-row `INSERT`s in one transaction) without writing anything. [`encode`]
//! holds the PostgreSQL COPY text and CSV forms for drivers that write them themselves.

pub mod encode;
mod generic;

pub use generic::{qualified, GenericIn, GenericOut};
pub use myrmex_abi::{
    CopyChunk, CopyFormat, CopyInRequest, CopyInStart, CopyOutRequest, CopyOutStart,
};

/// The bulk transfer a connection has open, kept by the kit's adapter.
#[derive(Default)]
pub(crate) enum State {
    /// None.
    #[default]
    Idle,
    /// The driver's own export or load.
    NativeOut,
    /// The driver's own load.
    NativeIn,
    /// The kit's generic export.
    GenericOut(GenericOut),
    /// The kit's generic load.
    GenericIn(GenericIn),
}
