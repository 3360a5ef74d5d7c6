//! Our id types bind and read back as text on both backends, so rows and
//! statements carry `UserId`, `LicenseId`… instead of bare strings.

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};

use crate::domain::ids::{ActivationId, ApiKeyId, EventId, LicenseId, PasskeyId, SessionId, UserId};

macro_rules! stored_as_text {
    ($($id:ty),+ $(,)?) => {$(
        impl<DB: Database> Type<DB> for $id
        where
            String: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <String as Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <String as Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: Database> Encode<'q, DB> for $id
        where
            for<'a> &'a str: Encode<'q, DB>,
        {
            fn encode_by_ref(&self, buf: &mut <DB as Database>::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
                <&str as Encode<'q, DB>>::encode_by_ref(&self.as_str(), buf)
            }
        }

        impl<'r, DB: Database> Decode<'r, DB> for $id
        where
            String: Decode<'r, DB>,
        {
            fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                Ok(Self::from_stored(<String as Decode<'r, DB>>::decode(value)?))
            }
        }
    )+};
}

stored_as_text!(UserId, SessionId, LicenseId, ActivationId, ApiKeyId, PasskeyId, EventId);
