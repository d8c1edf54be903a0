//! [`Received`]: the values of a batch, made the host's in the buffer they arrived in.
//!
//! Values cross the contract as `ValueNE` (room for variants a later contract adds). Once
//! every discriminant is known to this host, each value is moved to the front of the same
//! buffer as a plain `Value` (a `Value` is smaller than a `ValueNE`, so value `i` is written
//! where nothing unread lies), and the buffer is freed by the driver's allocator when this is
//! dropped. A point query thus allocates nothing on the host for its row.

use crate::Value;
use myrmex_abi::{RVec, ValueNE};
use std::mem::ManuallyDrop;
use std::ops::Deref;

/// Values received from a driver, row-major.
pub(crate) struct Received {
    /// The driver's buffer, its length set to 0: its first `len` `Value`-sized slots hold the
    /// values.
    buf: ManuallyDrop<RVec<ValueNE>>,
    len: usize,
}

// Layout facts the in-place move relies on, checked at compile time.
const _: () = {
    assert!(std::mem::size_of::<Value>() <= std::mem::size_of::<ValueNE>());
    assert!(std::mem::align_of::<Value>() <= std::mem::align_of::<ValueNE>());
};

impl Received {
    /// Takes `values`; `Err(i)` names the first value whose type this host does not know
    /// (nothing is moved then).
    pub(crate) fn new(values: RVec<ValueNE>) -> Result<Received, (usize, RVec<ValueNE>)> {
        if let Some(i) = values.iter().position(|v| !v.is_valid_discriminant()) {
            return Err((i, values));
        }
        let mut buf = ManuallyDrop::new(values);
        let len = buf.len();
        let base = buf.as_mut_ptr();
        // SAFETY: the vector's length is set to 0 first, so it owns no element any more and
        // each is read exactly once below. Value `i` is read from slot `i` and written at
        // `i * size_of::<Value>()`, which ends at or before the start of slot `i + 1`, so no
        // unread value is overwritten; the alignment fits (checked above). `into_enum`
        // cannot fail: every discriminant was checked.
        unsafe {
            buf.set_len(0);
            let out = base as *mut Value;
            for i in 0..len {
                let ne = std::ptr::read(base.add(i));
                match ne.into_enum() {
                    Ok(v) => std::ptr::write(out.add(i), v),
                    Err(_) => unreachable!("discriminants were checked"),
                }
            }
        }
        Ok(Received { buf, len })
    }

    /// Moves the values into a `Vec` of the host's.
    pub(crate) fn into_vec(self) -> Vec<Value> {
        let mut this = ManuallyDrop::new(self);
        let mut out = Vec::with_capacity(this.len);
        // SAFETY: the values are moved out bitwise, once; the buffer alone is then freed
        // (its length is 0), and `this` is never dropped.
        unsafe {
            std::ptr::copy_nonoverlapping(
                this.buf.as_ptr() as *const Value,
                out.as_mut_ptr(),
                this.len,
            );
            out.set_len(this.len);
            ManuallyDrop::drop(&mut this.buf);
        }
        out
    }
}

impl Deref for Received {
    type Target = [Value];
    fn deref(&self) -> &[Value] {
        // SAFETY: the first `len` slots hold initialised values (see `new`).
        unsafe { std::slice::from_raw_parts(self.buf.as_ptr() as *const Value, self.len) }
    }
}

impl Drop for Received {
    fn drop(&mut self) {
        // SAFETY: the values are dropped once, in place; then the buffer (length 0) is freed
        // by the allocator that made it.
        unsafe {
            let values =
                std::slice::from_raw_parts_mut(self.buf.as_mut_ptr() as *mut Value, self.len);
            std::ptr::drop_in_place(values);
            ManuallyDrop::drop(&mut self.buf);
        }
    }
}

impl Clone for Received {
    fn clone(&self) -> Self {
        let copy: RVec<ValueNE> = self.iter().cloned().map(ValueNE::from).collect();
        match Received::new(copy) {
            Ok(r) => r,
            Err(_) => unreachable!("values of this host's types"),
        }
    }
}

impl std::fmt::Debug for Received {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_survive_the_move_and_drop_once() {
        let text = "x".repeat(100);
        let wire: RVec<ValueNE> = vec![
            Value::Int(1),
            Value::Text(text.as_str().into()),
            Value::Null,
            Value::Blob(vec![1, 2, 3].into()),
            Value::Decimal("1.50".into()),
        ]
        .into_iter()
        .map(ValueNE::from)
        .collect();
        let r = Received::new(wire).unwrap();
        assert_eq!(r.len(), 5);
        assert_eq!(r[1], Value::Text(text.as_str().into()));
        assert_eq!(r[3], Value::Blob(vec![1, 2, 3].into()));
        let c = r.clone();
        assert_eq!(&*c, &*r);
        let v = r.into_vec();
        assert_eq!(v[4], Value::Decimal("1.50".into()));
        assert_eq!(&v[..], &*c);
    }
}
