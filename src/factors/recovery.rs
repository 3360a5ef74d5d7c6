//! Recovery codes: ten at a time, each good once, in place of any factor.

use serde_json::json;

use super::{FactorError, FactorResult, Factors};
use crate::domain::account::Authenticated;
use crate::domain::codes::RecoveryCode;
use crate::domain::event::{ClientInfo, EventKind, NewEvent};
use crate::domain::factors::{Factor, Shortfall};
use crate::domain::ids::UserId;

/// How many codes a user gets at a time.
pub const RECOVERY_CODE_COUNT: usize = 10;

impl Factors {
    /// The keyed hash stored for a code, bound to its user.
    fn recovery_code_hash(&self, user_id: &UserId, code: &RecoveryCode) -> String {
        self.master_key.keyed_hash("recovery-code", format!("{user_id}:{}", code.as_str()).as_bytes())
    }

    pub(super) fn new_recovery_codes(&self, user_id: &UserId) -> (Vec<RecoveryCode>, Vec<String>) {
        let codes: Vec<RecoveryCode> = (0..RECOVERY_CODE_COUNT).map(|_| RecoveryCode::generate()).collect();
        let hashes = codes.iter().map(|code| self.recovery_code_hash(user_id, code)).collect();
        (codes, hashes)
    }

    /// New codes replace the old ones, which stop working at once. Needs a
    /// recent step-up and a factor for the codes to stand in for.
    #[tracing::instrument(skip_all)]
    pub async fn regenerate_recovery_codes(
        &self,
        caller: &Authenticated,
        client: &ClientInfo,
    ) -> FactorResult<Vec<RecoveryCode>> {
        self.require_recent_authentication(caller)?;
        if !self.enrolled(&caller.user.id).await?.has_second_factor() {
            return Err(FactorError::Shortfall(Shortfall::EnrollmentRequired(Factor::SecondFactor)));
        }
        let (codes, hashes) = self.new_recovery_codes(&caller.user.id);
        let event = NewEvent::new(&caller.user.id, EventKind::RecoveryCodesGenerated, json!({}), client, self.now());
        self.store.replace_recovery_codes(&caller.user.id, &hashes, &event).await?;
        Ok(codes)
    }

    /// Spends a code if it is one of the user's unused ones; the use is an
    /// event the user sees, with how many codes are left.
    pub(super) async fn spend_recovery_code(
        &self,
        user_id: &UserId,
        typed: &str,
        client: &ClientInfo,
    ) -> FactorResult<bool> {
        let Some(code) = RecoveryCode::parse(typed) else { return Ok(false) };
        let remaining = self.enrolled(user_id).await?.recovery_codes.saturating_sub(1);
        let event =
            NewEvent::new(user_id, EventKind::RecoveryCodeUsed, json!({"remaining": remaining}), client, self.now());
        Ok(self.store.use_recovery_code(user_id, &self.recovery_code_hash(user_id, &code), &event).await?)
    }
}
