//! Response codes (`code`/`message`, 00-protocol §6.1–6.2) and transaction failure reasons
//! (`failedCode`/`failedMessage`, §6.3).

use std::fmt;

/// One table per enum keeps value, variant and message from drifting apart: `ALL`, `as_i32`,
/// `message` and `from_i32` are all generated from it.
macro_rules! code_table {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident { $( $variant:ident = $value:literal => $msg:literal, )+ }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name { $( $variant, )+ }

        impl $name {
            /// Every variant, in ascending order of absolute value.
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )+ ];

            pub const fn as_i32(self) -> i32 {
                match self { $( $name::$variant => $value, )+ }
            }

            pub const fn message(self) -> &'static str {
                match self { $( $name::$variant => $msg, )+ }
            }

            pub const fn from_i32(v: i32) -> Option<$name> {
                match v { $( $value => Some($name::$variant), )+ _ => None }
            }
        }

        impl From<$name> for i32 {
            fn from(c: $name) -> i32 {
                c.as_i32()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} {}", self.as_i32(), self.message())
            }
        }
    };
}

code_table! {
    /// Synchronous result code of an open-API call. Messages are the v1 texts verbatim, because
    /// merchant integrations sometimes match on them.
    pub enum Code {
        Success = 10000 => "Success",
        GeneralError = 21000 => "Server error, Please try again later.",
        SignError = 21001 => "Request sign error",
        ParamError = 21002 => "Request param error",
        AppIdError = 21003 => "Request appId error",
        MerchantUnavailable = 21004 => "Merchant is unavailable",
        ChannelUnavailable = 21005 => "Merchant channel is unavailable",
        TxNotFound = 21006 => "Merchant transaction not found",
        DuplicateMchOrderId = 21007 => "Duplicate merchant order id",
        TimestampError = 21008 => "Request timestamp error",
        // The v1 page repeats 21008's text here; the BluePay copy's wording is the one that lets
        // a merchant tell the two apart.
        TimestampExpired = 21009 => "Request timestamp expired error",
        AmountExceedsLimit = 21010 => "The amount exceeds the limit",
        NetworkError = 21011 => "Network error",
        BankCodeError = 21012 => "Request bank code error",
        WalletCodeError = 21013 => "Request wallet code error",
        BalanceInsufficient = 21014 => "Merchant balance insufficient",
        DuplicateIdempotencyId = 21015 => "Duplicate idempotencyId",
        IpForbidden = 21016 => "Merchant ip forbidden",
        CountryNotOpened = 21017 => "Merchant has not opened this national service",
        TransferCodeError = 21018 => "Request transfer code error",
        PayMethodCodeError = 21019 => "Request pay method code error",
        TooManyRequests = 21020 => "Too many requests, please retry later.",
        AmountInvalid = 21021 => "Transaction Amount Invalid",
        VolumeLimit = 21022 => "Transaction Volume Limit",
        CreateFailed = 21023 => "Transaction create failed",
        InvalidAccessToken = 21024 => "Invalid access token",
        NotAllowedToCancel = 21025 => "Not allowed to cancel",
        CustomerBalanceNotEnough = 21026 => "Customer Balance not enough",
        CreationExceedsLimit = 21027 => "Transaction creation exceeds limit",
        AlreadyPaidOrClosed = 21028 => "Transaction already paid or closed",
        RefundProcessing = 21401 => "Refund is processing",
        RefundNotAllowed = 21402 => "Not allowed to refund",
        RefundTooOld = 21403 => "Transactions 60 days ago cannot initiate refunds",
        RefundFullNotSupported = 21404 => "The original transaction channel not support full refund",
        RefundPartialNotSupported = 21405 => "The original transaction channel not support partial refund",
        RefundAmountInvalid = 21406 => "Refund amount invalid",
        DuplicateMchRefundOrderId = 21407 => "MchRefundOrderId is repeat",
        RefundOriginalNotCompleted = 21408 => "The original transaction is not completed",
        RefundPendingExists = 21409 => "The original transaction already exist pending refund",
    }
}

code_table! {
    /// Why a transaction ended `FAILED`. Negative, as in the PH/v2 examples (the v1 page's
    /// positive `1001` is a doc slip). -10007's text is truncated in every stored copy; -10008 is
    /// project-defined (spec README §2, dynamic payment expiry).
    pub enum FailedCode {
        ServiceError = -10000 => "Transaction Service Error",
        ExceedLimit = -10001 => "Transaction Exceed Limit",
        ParamsError = -10002 => "Transaction Params Error",
        InsufficientBalance = -10003 => "Transaction Insufficient Balance",
        ChannelRejected = -10004 => "Transaction Channel Rejected",
        DestinationAccountError = -10005 => "Transaction Destination Account Error",
        NetworkReject = -10006 => "Transaction Network Reject",
        ChannelTimeout = -10007 => "Transaction Channel Timeout",
        Expired = -10008 => "Transaction Expired",
        RefundFailed = -10009 => "Channel Refund Failed",
    }
}

impl Code {
    pub const fn is_success(self) -> bool {
        matches!(self, Code::Success)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_round_trip_unique_and_have_messages() {
        assert_eq!(Code::ALL.len(), 1 + 29 + 9);
        let mut values = HashSet::new();
        for &c in Code::ALL {
            assert_eq!(Code::from_i32(c.as_i32()), Some(c));
            assert!(values.insert(c.as_i32()), "duplicate value {}", c.as_i32());
            assert!(!c.message().is_empty(), "{c:?} has no message");
        }
        let expected: HashSet<i32> = std::iter::once(10000)
            .chain(21000..=21028)
            .chain(21401..=21409)
            .collect();
        assert_eq!(values, expected);
        assert_eq!(Code::from_i32(21029), None);
        assert_eq!(Code::from_i32(21400), None);
        assert_eq!(Code::from_i32(0), None);
    }

    #[test]
    fn code_texts_that_clients_match_on() {
        assert_eq!(Code::Success.as_i32(), 10000);
        assert_eq!(Code::Success.message(), "Success");
        assert_eq!(Code::SignError.message(), "Request sign error");
        assert_eq!(Code::TxNotFound.as_i32(), 21006);
        assert_eq!(Code::TimestampError.as_i32(), 21008);
        assert_eq!(
            Code::TimestampExpired.message(),
            "Request timestamp expired error"
        );
        assert_eq!(Code::RefundPendingExists.as_i32(), 21409);
        assert_eq!(Code::ParamError.to_string(), "21002 Request param error");
        assert_eq!(i32::from(Code::IpForbidden), 21016);
    }

    #[test]
    fn failed_codes_round_trip_unique_and_have_messages() {
        let mut values = HashSet::new();
        for &c in FailedCode::ALL {
            assert_eq!(FailedCode::from_i32(c.as_i32()), Some(c));
            assert!(values.insert(c.as_i32()));
            assert!(!c.message().is_empty());
        }
        assert_eq!(values, (-10009..=-10000).collect::<HashSet<i32>>());
        assert_eq!(FailedCode::Expired.as_i32(), -10008);
        assert_eq!(FailedCode::Expired.message(), "Transaction Expired");
        assert_eq!(
            FailedCode::ChannelTimeout.message(),
            "Transaction Channel Timeout"
        );
        assert_eq!(FailedCode::RefundFailed.message(), "Channel Refund Failed");
        assert_eq!(FailedCode::from_i32(10001), None);
    }
}
