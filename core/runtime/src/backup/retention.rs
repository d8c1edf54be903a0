//! Retention: which backups a policy keeps (last N, one per day, week and month) and which
//! it deletes. The newest verified backup is always kept, running ones are never touched,
//! failed ones go.

use super::error::BackupError;
use super::store::{BackupInfo, Status};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The period a backup falls in (a day, a week, a month), as a number.
type Period = dyn Fn(&BackupInfo) -> u64;

/// The day a backup started, in days since the Unix epoch (UTC).
fn day(b: &BackupInfo) -> u64 {
    b.started_unix / 86_400
}

/// A retention policy; a backup kept by any rule stays.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Keep the newest N backups.
    #[serde(default)]
    pub keep_last: Option<u32>,
    /// Keep the newest backup of each of the last N days that have one.
    #[serde(default)]
    pub keep_daily: Option<u32>,
    /// Keep the newest backup of each of the last N weeks (Monday to Sunday, UTC).
    #[serde(default)]
    pub keep_weekly: Option<u32>,
    /// Keep the newest backup of each of the last N months.
    #[serde(default)]
    pub keep_monthly: Option<u32>,
}

/// What a policy decided.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PrunePlan {
    /// Backups kept, each with the rules that keep it.
    pub keep: Vec<(BackupInfo, Vec<String>)>,
    /// Backups deleted (or that would be, on a dry run).
    pub delete: Vec<BackupInfo>,
}

impl Retention {
    /// True when no rule is set.
    pub fn is_empty(&self) -> bool {
        self == &Retention::default()
    }

    /// What this policy keeps and deletes of `backups`.
    pub fn plan(&self, backups: &[BackupInfo]) -> Result<PrunePlan, BackupError> {
        if self.is_empty() {
            return Err(BackupError::Invalid(
                "no retention rule given (keep_last, keep_daily, keep_weekly or keep_monthly)"
                    .into(),
            ));
        }
        let mut complete: Vec<&BackupInfo> = backups
            .iter()
            .filter(|b| matches!(b.status, Status::Complete | Status::Verified))
            .collect();
        complete.sort_by(|a, b| (b.started_unix, &b.name).cmp(&(a.started_unix, &a.name)));
        let mut reasons: Vec<Vec<String>> = vec![Vec::new(); complete.len()];
        if let Some(n) = self.keep_last {
            for r in reasons.iter_mut().take(n as usize) {
                r.push("last".into());
            }
        }
        let rules: [(Option<u32>, &str, &Period); 3] = [
            (self.keep_daily, "daily", &day),
            (self.keep_weekly, "weekly", &|b| (day(b) + 3) / 7),
            (self.keep_monthly, "monthly", &|b| {
                let (y, m, _) = myrmex_plugin::canonical::civil_from_days(day(b) as i64);
                y as u64 * 12 + u64::from(m)
            }),
        ];
        for (n, rule, period) in rules {
            let Some(n) = n else { continue };
            let mut seen = HashSet::new();
            for (i, b) in complete.iter().enumerate() {
                if seen.len() >= n as usize {
                    break;
                }
                if seen.insert(period(b)) {
                    reasons[i].push(rule.into());
                }
            }
        }
        if let Some(i) = complete.iter().position(|b| b.status == Status::Verified) {
            reasons[i].push("newest verified".into());
        }
        let mut plan = PrunePlan::default();
        for (b, r) in complete.into_iter().zip(reasons) {
            if r.is_empty() {
                plan.delete.push(b.clone());
            } else {
                plan.keep.push((b.clone(), r));
            }
        }
        for b in backups {
            match b.status {
                Status::Failed => plan.delete.push(b.clone()),
                Status::Running => plan.keep.push((b.clone(), vec!["running".into()])),
                _ => {}
            }
        }
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(name: &str, day: u64, status: Status) -> BackupInfo {
        BackupInfo {
            name: name.into(),
            path: name.into(),
            status,
            bytes: 0,
            strategy: "logical".into(),
            engine: "any".into(),
            started: String::new(),
            started_unix: day * 86_400 + 3600,
            rows: 0,
            tables: 0,
            encrypted: false,
            error: None,
        }
    }

    #[test]
    fn keeps_last_daily_and_newest_verified() {
        let all = vec![
            b("a", 1, Status::Verified),
            b("b", 2, Status::Complete),
            b("c", 2, Status::Complete),
            b("d", 3, Status::Complete),
            b("e", 4, Status::Failed),
        ];
        let p = Retention {
            keep_last: Some(1),
            keep_daily: Some(2),
            ..Default::default()
        }
        .plan(&all)
        .unwrap();
        let kept: Vec<&str> = p.keep.iter().map(|(b, _)| b.name.as_str()).collect();
        let gone: Vec<&str> = p.delete.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(kept, ["d", "c", "a"]);
        assert_eq!(gone, ["b", "e"]);
        assert!(Retention::default().plan(&all).is_err());
    }
}
