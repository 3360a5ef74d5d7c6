//! Stored addresses brought to the `Email` parser's current normal form.
//!
//! A migration cannot run the parser (NFKC, Unicode lower case, UTS 46 are
//! not SQL on SQLite), and a partial SQL fold (ASCII lower case) could make
//! two rows one and fail the unique index mid-upgrade. So after the SQL
//! migrations the store re-parses every stored address in Rust: a row whose
//! normal form no other row shares is rewritten in place; rows that would
//! become one address are all left as they are and reported by id, never
//! merged, because which of them is the person's real account is for an
//! operator to decide. The pass is idempotent and runs with every migration
//! (at every start on SQLite; at every `latchkey migrate` on PostgreSQL,
//! never at an instance's start, so that an instance of the previous build
//! during a rolling upgrade cannot fold rows back to its older normal form).
//! An unresolved duplicate is reported again until someone resolves it, and
//! rows written meanwhile by an older instance are caught up.

use std::collections::{BTreeMap, BTreeSet};

use super::sql::{Pool, SqlStore, unique_violation};
use super::{Duplicate, StoreError, StoreResult};
use crate::domain::Email;
use crate::domain::ids::{LicenseId, UserId};

/// What one re-normalisation pass found and did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct EmailRenormalization {
    /// Accounts whose address was rewritten to its normal form.
    pub rewritten: Vec<UserId>,
    /// Accounts whose addresses share one normal form; each group is left unchanged.
    pub duplicates: Vec<Vec<UserId>>,
    /// Accounts whose stored address the parser now refuses (it holds an
    /// invisible character, say); left unchanged.
    pub unparsable: Vec<UserId>,
    /// Licenses whose owner address was rewritten to its normal form.
    pub licenses_rewritten: Vec<LicenseId>,
    /// Licenses whose owner address is one of the ambiguous addresses; left unchanged.
    pub licenses_ambiguous: Vec<LicenseId>,
}

impl SqlStore {
    /// Rewrites stored addresses (accounts, their pending mail links, license
    /// owners) to the parser's normal form, leaving and reporting every
    /// collision. Safe to run concurrently from several instances: each
    /// write is conditional on the row still holding what was read.
    #[tracing::instrument(skip_all)]
    pub async fn renormalize_emails(&self) -> StoreResult<EmailRenormalization> {
        let mut report = EmailRenormalization::default();
        let users: Vec<(UserId, String)> =
            on_pool!(self, |pool| sqlx::query_as("SELECT id, email FROM users").fetch_all(pool).await?);
        let mut by_form: BTreeMap<String, Vec<(UserId, String)>> = BTreeMap::new();
        for (id, stored) in users {
            match Email::parse(&stored) {
                Ok(email) => by_form.entry(email.as_str().to_owned()).or_default().push((id, stored)),
                Err(_) => report.unparsable.push(id),
            }
        }
        let mut ambiguous = BTreeSet::new();
        for (form, rows) in by_form {
            match rows.as_slice() {
                [(id, stored)] if *stored != form => match self.rewrite_user_email(id, stored, &form).await {
                    Ok(true) => report.rewritten.push(id.clone()),
                    Ok(false) => {}
                    // Someone signed up with the normal form since the read: a duplicate after all.
                    Err(StoreError::Duplicate(Duplicate::Email)) => {
                        report.duplicates.push(vec![id.clone()]);
                        ambiguous.insert(form);
                    }
                    Err(error) => return Err(error),
                },
                [_] => {}
                _ => {
                    report.duplicates.push(rows.into_iter().map(|(id, _)| id).collect());
                    ambiguous.insert(form);
                }
            }
        }
        self.renormalize_license_owners(&ambiguous, &mut report).await?;
        log(&report);
        Ok(report)
    }

    /// One account's address, and the mail links bound to it, in one transaction.
    async fn rewrite_user_email(&self, id: &UserId, stored: &str, form: &str) -> StoreResult<bool> {
        in_tx!(self, |tx| {
            let updated = sqlx::query("UPDATE users SET email = $1 WHERE id = $2 AND email = $3")
                .bind(form)
                .bind(id)
                .bind(stored)
                .execute(&mut *tx)
                .await
                .map_err(|e| unique_violation(e, Duplicate::Email))?
                .rows_affected();
            // A verification link names the address it verifies; it must name the rewritten one.
            sqlx::query("UPDATE email_tokens SET email = $1 WHERE user_id = $2 AND email = $3")
                .bind(form)
                .bind(id)
                .bind(stored)
                .execute(&mut *tx)
                .await?;
            Ok(updated == 1)
        })
    }

    /// License owner addresses follow, except those naming an ambiguous
    /// address: rewriting one would hand the license to whichever duplicate
    /// account holds the normal form.
    async fn renormalize_license_owners(
        &self,
        ambiguous: &BTreeSet<String>,
        report: &mut EmailRenormalization,
    ) -> StoreResult<()> {
        let owners: Vec<(LicenseId, String)> =
            on_pool!(self, |pool| sqlx::query_as("SELECT id, owner_email FROM licenses WHERE owner_email IS NOT NULL")
                .fetch_all(pool)
                .await?);
        for (id, stored) in owners {
            let Ok(email) = Email::parse(&stored) else { continue };
            if email.as_str() == stored {
                continue;
            }
            if ambiguous.contains(email.as_str()) {
                report.licenses_ambiguous.push(id);
                continue;
            }
            let updated = on_pool!(self, |pool| sqlx::query(
                "UPDATE licenses SET owner_email = $1 WHERE id = $2 AND owner_email = $3"
            )
            .bind(email.as_str())
            .bind(&id)
            .bind(&stored)
            .execute(pool)
            .await?
            .rows_affected());
            self.marks.wrote();
            if updated == 1 {
                report.licenses_rewritten.push(id);
            }
        }
        Ok(())
    }
}

/// Problems by id only: addresses are personal data and stay out of logs.
fn log(report: &EmailRenormalization) {
    for ids in &report.duplicates {
        tracing::warn!(
            user_ids = ?ids.iter().map(UserId::as_str).collect::<Vec<_>>(),
            "accounts whose addresses are one address once normalised; left unchanged, resolve by hand"
        );
    }
    for id in &report.unparsable {
        tracing::warn!(user_id = id.as_str(), "account address is no longer accepted; left unchanged");
    }
    for id in &report.licenses_ambiguous {
        tracing::warn!(license_id = id.as_str(), "license owner address matches duplicate accounts; left unchanged");
    }
    if !report.rewritten.is_empty() || !report.licenses_rewritten.is_empty() {
        tracing::info!(
            accounts = report.rewritten.len(),
            licenses = report.licenses_rewritten.len(),
            "stored addresses rewritten to their normal form"
        );
    }
}
