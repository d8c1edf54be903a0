//! The one adapter from the kit's plain-Rust traits to the contract's `sabi` traits.
//!
//! Every entry point runs inside [`guard`]: a panic becomes an [`ErrorKind::PANIC`] error and
//! the connection that panicked answers every later call with an error instead of running
//! on a state the panic may have broken. Authors never write a guard, so none can be missed.

use crate::audit::{self, AuditRuleSet, HostConnection};
use crate::bulk::{self, GenericIn, GenericOut};
use crate::guard::guard;
use crate::{tree, CancelHandle, Config, Connection, Driver, Params, ShardRouter};
use myrmex_abi::abi_stable::sabi_trait::TD_Opaque;
use myrmex_abi::{
    self as abi, AuditContext, AuditFinding, AuditLogRequest, AuditRecord, AuditRule,
    AuditRuleSetBox, AuditRuleSet_TO, AuditStatement, CancelHandleBox, CancelHandle_TO,
    CatalogKind, ConnectOptions, ConnectionBox, Connection_TO, DialectInfo, DriverBox, Driver_TO,
    ErrorKind, ExecResult, LockAttempt, PluginError, QueryStart, RResult, RSlice, RStr, RString,
    RVec, RowBatch, SchemaRequest, ServerInfo, ShardRouterBox, ShardRouter_TO, TableDetail,
    TableRef, Tree, ValueNE,
};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Boxes a driver for the contract.
pub fn driver_box<D: Driver>(driver: D) -> DriverBox {
    Driver_TO::from_value(DriverAdapter(driver), TD_Opaque)
}

/// Boxes a shard router for the contract.
pub fn shard_box<S: ShardRouter>(router: S) -> ShardRouterBox {
    ShardRouter_TO::from_value(ShardAdapter(router), TD_Opaque)
}

/// Boxes a backup strategy for the contract.
pub fn backup_box<B: crate::backup::BackupStrategy>(strategy: B) -> abi::BackupStrategyBox {
    abi::BackupStrategy_TO::from_value(crate::backup::Adapter(strategy), TD_Opaque)
}

/// Boxes an object store for the contract.
pub fn store_box<S: crate::store::ObjectStore>(store: S) -> abi::ObjectStoreBox {
    abi::ObjectStore_TO::from_value(crate::store::Adapter(store), TD_Opaque)
}

/// Boxes an audit rule set for the contract.
pub fn audit_box<A: AuditRuleSet>(rules: A) -> AuditRuleSetBox {
    AuditRuleSet_TO::from_value(AuditAdapter(rules), TD_Opaque)
}

struct DriverAdapter<D>(D);

impl<D: Driver> abi::Driver for DriverAdapter<D> {
    fn parse_url(&self, url: RStr<'_>, base_dir: RStr<'_>) -> RResult<ConnectOptions, PluginError> {
        guard(|| self.0.parse_url(url.as_str(), base_dir.as_str()))
    }

    fn display_url(&self, options: &ConnectOptions) -> RString {
        match catch_unwind(AssertUnwindSafe(|| self.0.display_url(options))) {
            Ok(s) => s.into(),
            Err(_) => format!("{}://(a URL the driver could not show)", options.db_type).into(),
        }
    }

    fn connect(&self, options: &ConnectOptions) -> RResult<ConnectionBox, PluginError> {
        guard(|| {
            let conn = self.0.connect(options)?;
            Ok(Connection_TO::from_value(
                ConnectionAdapter {
                    inner: conn,
                    poisoned: false,
                    bulk: bulk::State::Idle,
                },
                TD_Opaque,
            ))
        })
    }
}

struct ConnectionAdapter<C> {
    inner: C,
    poisoned: bool,
    /// The bulk transfer in progress, native or the kit's generic one.
    bulk: bulk::State,
}

impl<C: Connection> ConnectionAdapter<C> {
    /// Runs `f` on the connection unless an earlier call panicked; a panic now poisons it.
    fn call<T>(
        &mut self,
        f: impl FnOnce(&mut C) -> Result<T, PluginError>,
    ) -> RResult<T, PluginError> {
        if self.poisoned {
            return RResult::RErr(poisoned());
        }
        let inner = &mut self.inner;
        let out = guard(|| f(inner));
        if let RResult::RErr(e) = &out {
            if e.kind == ErrorKind::PANIC {
                self.poisoned = true;
            }
        }
        out
    }
}

fn poisoned() -> PluginError {
    PluginError::new(
        ErrorKind::PANIC,
        "the connection is unusable: the plugin panicked in an earlier call; reconnect",
    )
}

impl<C: Connection> abi::Connection for ConnectionAdapter<C> {
    fn execute(
        &mut self,
        sql: RStr<'_>,
        params: RSlice<'_, ValueNE>,
    ) -> RResult<ExecResult, PluginError> {
        self.call(|c| c.execute(sql.as_str(), Params::from_abi(params.as_slice())))
    }

    fn execute_batch(&mut self, sql: RStr<'_>) -> RResult<(), PluginError> {
        self.call(|c| c.execute_batch(sql.as_str()))
    }

    fn query(
        &mut self,
        sql: RStr<'_>,
        params: RSlice<'_, ValueNE>,
        batch_size: u32,
    ) -> RResult<QueryStart, PluginError> {
        self.call(|c| {
            c.query(
                sql.as_str(),
                Params::from_abi(params.as_slice()),
                batch_size,
            )
        })
    }

    fn fetch(&mut self, batch_size: u32) -> RResult<RowBatch, PluginError> {
        self.call(|c| c.fetch(batch_size))
    }

    fn close_cursor(&mut self) {
        if !self.poisoned {
            let inner = &mut self.inner;
            if catch_unwind(AssertUnwindSafe(|| inner.close_cursor())).is_err() {
                self.poisoned = true;
            }
        }
    }

    fn begin(&mut self) -> RResult<(), PluginError> {
        self.call(|c| c.begin())
    }

    fn begin_exclusive(&mut self, script: RStr<'_>) -> RResult<(), PluginError> {
        self.call(|c| c.begin_exclusive(script.as_str()))
    }

    fn commit(&mut self) -> RResult<(), PluginError> {
        self.call(|c| c.commit())
    }

    fn rollback(&mut self) -> RResult<(), PluginError> {
        self.call(|c| c.rollback())
    }

    fn savepoint(&mut self, name: RStr<'_>) -> RResult<(), PluginError> {
        self.call(|c| c.savepoint(name.as_str()))
    }

    fn release_savepoint(&mut self, name: RStr<'_>) -> RResult<(), PluginError> {
        self.call(|c| c.release_savepoint(name.as_str()))
    }

    fn rollback_to_savepoint(&mut self, name: RStr<'_>) -> RResult<(), PluginError> {
        self.call(|c| c.rollback_to_savepoint(name.as_str()))
    }

    fn in_transaction(&self) -> bool {
        // A poisoned connection reports no transaction; every other call fails anyway.
        !self.poisoned
            && catch_unwind(AssertUnwindSafe(|| self.inner.in_transaction())).unwrap_or(false)
    }

    fn tables(&mut self) -> RResult<RVec<TableRef>, PluginError> {
        self.call(|c| c.tables().map(RVec::from))
    }

    fn describe(&mut self, schema: RStr<'_>, table: RStr<'_>) -> RResult<TableDetail, PluginError> {
        self.call(|c| c.describe(schema.as_str(), table.as_str()))
    }

    fn schema(&mut self, request: &SchemaRequest) -> RResult<Tree, PluginError> {
        self.call(|c| {
            let schemas: Vec<String> = request.schemas.iter().map(|s| s.to_string()).collect();
            let def = c.schema(&schemas)?;
            tree::to_tree(&def)
        })
    }

    fn server_info(&mut self) -> RResult<ServerInfo, PluginError> {
        self.call(|c| c.server_info())
    }

    fn dialect(&mut self) -> RResult<DialectInfo, PluginError> {
        self.call(|c| c.dialect())
    }

    fn try_lock(&mut self, name: RStr<'_>) -> RResult<LockAttempt, PluginError> {
        self.call(|c| c.try_lock(name.as_str()))
    }

    fn unlock(&mut self, name: RStr<'_>) -> RResult<(), PluginError> {
        self.call(|c| c.unlock(name.as_str()))
    }

    fn create_scratch(&mut self) -> RResult<ConnectOptions, PluginError> {
        self.call(|c| c.create_scratch())
    }

    fn drop_scratch(&mut self, options: &ConnectOptions) -> RResult<(), PluginError> {
        self.call(|c| c.drop_scratch(options))
    }

    fn ping(&mut self) -> RResult<(), PluginError> {
        self.call(|c| c.ping())
    }

    fn cancel_handle(&self) -> RResult<CancelHandleBox, PluginError> {
        if self.poisoned {
            return RResult::RErr(poisoned());
        }
        guard(|| {
            let handle = self.inner.cancel_handle()?;
            Ok(CancelHandle_TO::from_value(
                CancelAdapter(handle),
                TD_Opaque,
            ))
        })
    }

    fn close(&mut self) -> RResult<(), PluginError> {
        // Closing is allowed after a panic: it frees what it can.
        let inner = &mut self.inner;
        guard(|| inner.close())
    }

    fn catalog(
        &mut self,
        kind: CatalogKind,
        pattern: RStr<'_>,
    ) -> RResult<QueryStart, PluginError> {
        self.call(|c| c.catalog(kind, pattern.as_str()))
    }

    fn metrics(&mut self) -> RResult<abi::MetricsSnapshot, PluginError> {
        self.call(|c| c.metrics().map(crate::monitor::Snapshot::into_abi))
    }

    fn advise(
        &mut self,
        request: &abi::AdviceRequest,
    ) -> RResult<RVec<abi::Recommendation>, PluginError> {
        self.call(|c| {
            let request = crate::monitor::AdviceRequest::from_abi(request);
            Ok(c.advise(&request)?
                .into_iter()
                .map(crate::monitor::Advice::into_abi)
                .collect())
        })
    }

    fn copy_out_start(
        &mut self,
        request: &abi::CopyOutRequest,
    ) -> RResult<abi::CopyOutStart, PluginError> {
        self.abandon_bulk();
        let out = self.call(|c| match c.copy_out_start(request)? {
            Some(start) => Ok((bulk::State::NativeOut, start)),
            None => {
                let (g, start) = GenericOut::start(c, request)?;
                Ok((bulk::State::GenericOut(g), start))
            }
        });
        out.map(|(state, start)| {
            self.bulk = state;
            start
        })
    }

    fn copy_out_read(
        &mut self,
        max_bytes: u32,
        max_rows: u32,
    ) -> RResult<abi::CopyChunk, PluginError> {
        let mut state = std::mem::take(&mut self.bulk);
        let out = match &mut state {
            bulk::State::NativeOut => self.call(|c| c.copy_out_read(max_bytes, max_rows)),
            bulk::State::GenericOut(g) => self.call(|c| g.read(c, max_bytes, max_rows)),
            _ => RResult::RErr(no_bulk("export")),
        };
        match &out {
            RResult::ROk(chunk) if !chunk.done => self.bulk = state,
            _ => {}
        }
        out
    }

    fn copy_in_start(
        &mut self,
        request: &abi::CopyInRequest,
    ) -> RResult<abi::CopyInStart, PluginError> {
        self.abandon_bulk();
        let out = self.call(|c| {
            if c.copy_in_start(request)? {
                Ok(bulk::State::NativeIn)
            } else {
                Ok(bulk::State::GenericIn(GenericIn::start(c, request)?))
            }
        });
        out.map(|state| {
            let native = matches!(state, bulk::State::NativeIn);
            self.bulk = state;
            abi::CopyInStart {
                native,
                extensions: RVec::new(),
            }
        })
    }

    fn copy_in_write(&mut self, chunk: &abi::CopyChunk) -> RResult<(), PluginError> {
        let mut state = std::mem::take(&mut self.bulk);
        let out = match &mut state {
            bulk::State::NativeIn => self.call(|c| c.copy_in_write(chunk)),
            bulk::State::GenericIn(g) => self.call(|c| g.write(c, chunk)),
            _ => RResult::RErr(no_bulk("load")),
        };
        if out.is_ok() {
            self.bulk = state;
        } else {
            // A failed chunk ends the load: what it wrote is rolled back.
            self.abort_state(state);
        }
        out
    }

    fn copy_in_finish(&mut self) -> RResult<u64, PluginError> {
        match std::mem::take(&mut self.bulk) {
            bulk::State::NativeIn => self.call(|c| c.copy_in_finish()),
            bulk::State::GenericIn(g) => self.call(|c| g.finish(c)),
            _ => RResult::RErr(no_bulk("load")),
        }
    }

    fn copy_abort(&mut self) -> RResult<(), PluginError> {
        let state = std::mem::take(&mut self.bulk);
        self.abort_state(state)
    }

    fn reset_identity(
        &mut self,
        schema: RStr<'_>,
        table: RStr<'_>,
        column: RStr<'_>,
    ) -> RResult<(), PluginError> {
        self.call(|c| c.reset_identity(schema.as_str(), table.as_str(), column.as_str()))
    }

    fn snapshot_export(&mut self) -> RResult<RString, PluginError> {
        self.call(|c| c.snapshot_export().map(RString::from))
    }

    fn snapshot_import(&mut self, token: RStr<'_>) -> RResult<(), PluginError> {
        self.call(|c| c.snapshot_import(token.as_str()))
    }

    fn snapshot_release(&mut self) -> RResult<(), PluginError> {
        self.call(|c| c.snapshot_release())
    }
}

impl<C: Connection> ConnectionAdapter<C> {
    /// Ends whatever bulk transfer a caller left open before a new one starts.
    fn abandon_bulk(&mut self) {
        let state = std::mem::take(&mut self.bulk);
        let _ = self.abort_state(state);
    }

    fn abort_state(&mut self, state: bulk::State) -> RResult<(), PluginError> {
        match state {
            bulk::State::Idle => RResult::ROk(()),
            bulk::State::NativeOut | bulk::State::NativeIn => self.call(|c| c.copy_abort()),
            bulk::State::GenericOut(_) => self.call(|c| {
                c.close_cursor();
                Ok(())
            }),
            bulk::State::GenericIn(g) => self.call(|c| g.abort(c)),
        }
    }
}

fn no_bulk(what: &str) -> PluginError {
    PluginError::invalid(format!("no bulk {what} is in progress on this connection"))
}

struct CancelAdapter(Box<dyn CancelHandle>);

impl abi::CancelHandle for CancelAdapter {
    fn cancel(&self) -> RResult<(), PluginError> {
        guard(|| self.0.cancel())
    }
}

struct AuditAdapter<A>(A);

impl<A: AuditRuleSet> abi::AuditRuleSet for AuditAdapter<A> {
    fn rules(&self) -> RVec<AuditRule> {
        // A rule set whose list of rules panics has no rules to run; its checks will say so.
        catch_unwind(AssertUnwindSafe(|| {
            self.0.rules().iter().map(audit::rule_to_abi).collect()
        }))
        .unwrap_or_default()
    }

    fn check_connection(
        &self,
        conn: &mut ConnectionBox,
        context: &AuditContext,
    ) -> RResult<RVec<AuditFinding>, PluginError> {
        guard(|| {
            let context = audit::context_from_abi(context);
            let found = self
                .0
                .check_connection(&mut HostConnection::new(conn), &context)?;
            Ok(found.into_iter().map(audit::finding_to_abi).collect())
        })
    }

    fn check_statements(
        &self,
        statements: RSlice<'_, AuditStatement>,
        context: &AuditContext,
        conn: abi::ROption<&mut ConnectionBox>,
    ) -> RResult<RVec<AuditFinding>, PluginError> {
        guard(|| {
            let context = audit::context_from_abi(context);
            let statements: Vec<audit::Statement> =
                statements.iter().map(audit::statement_from_abi).collect();
            let mut host = conn.into_option().map(HostConnection::new);
            let found = self
                .0
                .check_statements(&statements, &context, host.as_mut())?;
            Ok(found.into_iter().map(audit::finding_to_abi).collect())
        })
    }

    fn configure_server_log(
        &self,
        conn: &mut ConnectionBox,
        settings: RStr<'_>,
    ) -> RResult<RVec<RString>, PluginError> {
        guard(|| {
            let ran = self.0.configure_server_log(
                &mut HostConnection::new(conn),
                Config::new("server log", settings.as_str()),
            )?;
            Ok(ran.into_iter().map(RString::from).collect())
        })
    }

    fn server_log(
        &self,
        conn: &mut ConnectionBox,
        request: &AuditLogRequest,
    ) -> RResult<RVec<AuditRecord>, PluginError> {
        guard(|| {
            let records = self.0.server_log(
                &mut HostConnection::new(conn),
                request.since.as_str(),
                request.limit,
            )?;
            Ok(records.into_iter().map(audit::record_to_abi).collect())
        })
    }
}

struct ShardAdapter<S>(S);

impl<S: ShardRouter> abi::ShardRouter for ShardAdapter<S> {
    fn route(&self, key: &ValueNE, shards: u32) -> RResult<u32, PluginError> {
        guard(|| {
            // No shard can hold a key among zero shards; refused here so that no router
            // divides by zero.
            if shards == 0 {
                return Err(PluginError::invalid("shards must be at least 1"));
            }
            let key = key.as_enum().map_err(|_| {
                PluginError::new(
                    ErrorKind::TYPE,
                    "the key has a value type this plugin does not know",
                )
            })?;
            let shard = self.0.route(key, shards)?;
            if shard >= shards {
                return Err(PluginError::new(
                    ErrorKind::INTERNAL,
                    format!("the router chose shard {shard} of {shards}"),
                ));
            }
            Ok(shard)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;

    struct First;

    impl ShardRouter for First {
        fn route(&self, _key: &Value, shards: u32) -> Result<u32, PluginError> {
            Ok(shards - 1)
        }
    }

    #[test]
    fn zero_shards_are_refused_before_the_router_runs() {
        let router = shard_box(First);
        let key = ValueNE::from(Value::Int(1));
        let err = router.route(&key, 0).unwrap_err();
        assert_eq!(err.kind, ErrorKind::INVALID_INPUT);
        assert!(err.message.contains("at least 1"), "{err}");
        assert_eq!(router.route(&key, 4).unwrap(), 3);
    }
}
