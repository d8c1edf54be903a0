//! [`Params`]: the parameters of a statement, as a driver reads them.

use crate::{PluginError, Value};
use myrmex_abi::ValueNE;

/// The positional parameters of a statement: from the host (as they crossed the contract)
/// or from the plugin's own code.
#[derive(Clone, Copy)]
pub struct Params<'a>(Inner<'a>);

#[derive(Clone, Copy)]
enum Inner<'a> {
    Abi(&'a [ValueNE]),
    Plain(&'a [Value]),
}

impl<'a> Params<'a> {
    /// No parameters.
    pub fn none() -> Self {
        Params(Inner::Plain(&[]))
    }

    /// Parameters as they crossed the contract.
    pub fn from_abi(values: &'a [ValueNE]) -> Self {
        Params(Inner::Abi(values))
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        match self.0 {
            Inner::Abi(v) => v.len(),
            Inner::Plain(v) => v.len(),
        }
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Parameter `i` (0-based). A value of a type added by a later contract than the one
    /// this plugin was built for is an error naming the parameter.
    ///
    /// ```
    /// use myrmex_plugin::{Params, Value};
    /// let values = [Value::Int(7)];
    /// let p = Params::from(&values[..]);
    /// assert_eq!(p.get(0).unwrap(), &Value::Int(7));
    /// assert!(p.get(1).is_err());
    /// ```
    pub fn get(&self, i: usize) -> Result<&'a Value, PluginError> {
        match self.0 {
            Inner::Plain(v) => v.get(i).ok_or_else(|| missing(i, v.len())),
            Inner::Abi(v) => match v.get(i) {
                None => Err(missing(i, v.len())),
                Some(ne) => ne.as_enum().map_err(|_| {
                    PluginError::new(
                        myrmex_abi::ErrorKind::TYPE,
                        format!(
                            "parameter {} has a value type this plugin does not know (it was \
                             built for contract {}.{})",
                            i + 1,
                            myrmex_abi::CONTRACT_VERSION,
                            myrmex_abi::CONTRACT_MINOR
                        ),
                    )
                }),
            },
        }
    }

    /// Every parameter in order.
    pub fn iter(&self) -> impl Iterator<Item = Result<&'a Value, PluginError>> + 'a {
        let this = *self;
        (0..this.len()).map(move |i| this.get(i))
    }
}

impl<'a> From<&'a [Value]> for Params<'a> {
    fn from(values: &'a [Value]) -> Self {
        Params(Inner::Plain(values))
    }
}

impl<'a, const N: usize> From<&'a [Value; N]> for Params<'a> {
    fn from(values: &'a [Value; N]) -> Self {
        Params(Inner::Plain(values))
    }
}

fn missing(i: usize, len: usize) -> PluginError {
    PluginError::invalid(format!(
        "parameter {} is missing: the statement was given {len}",
        i + 1
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abi_and_plain_read_alike() {
        let plain = [Value::Int(1), Value::from("x")];
        let abi: Vec<ValueNE> = plain.iter().cloned().map(ValueNE::from).collect();
        let a = Params::from_abi(&abi);
        let b = Params::from(&plain);
        assert_eq!(a.len(), 2);
        for i in 0..2 {
            assert_eq!(a.get(i).unwrap(), b.get(i).unwrap());
        }
        assert!(a.get(2).unwrap_err().message.contains("parameter 3"));
    }
}
