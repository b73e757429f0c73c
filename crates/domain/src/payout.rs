//! Payouts and their state machine: PENDING → COMPLETED | FAILED.
//!
//! Money: accepting a payout freezes amount + fee ([`Payout::acceptance`]); completion moves the
//! frozen funds to the channel's clearing account and the fee to revenue; failure returns them
//! to the merchant's available balance ([`Payout::settle`]).

use crate::catalog::{Catalog, PayoutMethod, TransferKind};
use crate::ledger::{self, JournalEntry};
use crate::money::{Country, Money};
use crate::outbox::NewNotification;
use crate::payment::TransitionError;
use crate::time::DisplayZone;
use crate::App;
use sampan_protocol::codes::FailedCode;
use sampan_protocol::fields::ParamError;
use sampan_protocol::payout::{
    PayoutCheckData, PayoutForm, PayoutNotification, PayoutTransfer, EVENT_PAYOUT_FAILED,
    EVENT_PAYOUT_SUCCESS,
};

/// Payouts share the payment statuses (`PENDING`, `COMPLETED`, `FAILED`).
pub use crate::payment::PaymentStatus as PayoutStatus;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payout {
    pub transaction_id: String,
    pub app_id: String,
    pub mch_order_id: String,
    pub idempotency_id: String,
    pub country: Country,
    /// Catalog code of the payout method (`PH_PAYOUT_BANK`).
    pub method_code: String,
    /// The wire `payMethodCode` (`BANK`).
    pub pay_method_code: String,
    pub transfer_code: Option<String>,
    pub amount: Money,
    /// Fee snapshotted when the payout was accepted; frozen with the amount.
    pub fee: i64,
    pub status: PayoutStatus,
    pub account_no: String,
    pub account_name: Option<String>,
    pub account_type: Option<String>,
    pub promptpay_account_type: Option<String>,
    pub account_tax_id: Option<String>,
    pub mobile: Option<String>,
    pub relationship: Option<String>,
    pub remark: Option<String>,
    /// Where the notification goes: the request's `notifyUrl`, else the app's payout callback
    /// URL when the payout was accepted; `None`: the merchant polls.
    pub notify_url: Option<String>,
    pub created_at: i64,
    /// When the channel is expected to answer (the settlement worker's due time); `None` while
    /// no answer is expected.
    pub settle_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub failure: Option<FailedCode>,
}

/// What the channel (or an operator) reports about a pending payout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayoutOutcome {
    Completed,
    Failed(FailedCode),
}

/// Why a create-payout request does not fit the catalog; the HTTP edge maps each to its code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayoutRejection {
    /// 21017
    CountryNotOpened,
    /// 21019
    UnknownPayMethod,
    /// 21012
    UnknownBank,
    /// 21013
    UnknownWallet,
    /// 21018: a code of the country's catalog that belongs to another method.
    TransferCodeMismatch,
    /// 21010
    AmountOutOfLimits,
    /// 21002 naming the field.
    Field(ParamError),
}

/// Everything one settlement writes, in one store transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutSettlement {
    pub payout: Payout,
    pub journal: JournalEntry,
    pub notification: Option<NewNotification>,
}

impl Country {
    /// The create-payout field table of this country, `None` where there are no payouts.
    pub fn payout_form(self) -> Option<PayoutForm> {
        match self {
            Country::PH => Some(PayoutForm::Philippines),
            Country::ID => Some(PayoutForm::Indonesia),
            Country::MY => Some(PayoutForm::Malaysia),
            Country::TH => Some(PayoutForm::Thailand),
            Country::RU => None,
        }
    }
}

/// Checks `req` against the app and the catalog, in protocol order: country (21017), method
/// (21019), destination (21012/21013/21018), `accountNo` format (21002), amount (21010).
pub fn resolve_method<'c>(
    catalog: &'c Catalog,
    app: &App,
    country: Country,
    req: &PayoutTransfer,
) -> Result<&'c PayoutMethod, PayoutRejection> {
    if !app.country_enabled(country) {
        return Err(PayoutRejection::CountryNotOpened);
    }
    let method = catalog
        .payout_method(country, &req.pay_method_code)
        .ok_or(PayoutRejection::UnknownPayMethod)?;
    if method.kind != TransferKind::None {
        let code = req.transfer_code.as_deref().unwrap_or("");
        if !method.has_transfer_code(code) {
            let elsewhere = catalog
                .payout_methods()
                .any(|m| m.country == country && m.has_transfer_code(code));
            return Err(if elsewhere {
                PayoutRejection::TransferCodeMismatch
            } else if method.kind == TransferKind::Bank {
                PayoutRejection::UnknownBank
            } else {
                PayoutRejection::UnknownWallet
            });
        }
    }
    let type_value = match method.type_field.as_deref() {
        Some("promptpayAccountType") => req.promptpay_account_type.as_deref(),
        Some(_) => req.account_type.as_deref(),
        None => None,
    };
    let rule = method.account_rule(type_value).ok_or_else(|| {
        PayoutRejection::Field(ParamError::new(
            method.type_field.as_deref().unwrap_or("accountType"),
            "is required",
        ))
    })?;
    if !rule.matches(&req.account_no) {
        return Err(PayoutRejection::Field(ParamError::new(
            "accountNo",
            rule.describe(),
        )));
    }
    if !method.accepts_amount(req.amount) {
        return Err(PayoutRejection::AmountOutOfLimits);
    }
    Ok(method)
}

impl Payout {
    /// A new PENDING payout of `req` through `method`.
    pub fn new(
        transaction_id: String,
        app: &App,
        method: &PayoutMethod,
        req: PayoutTransfer,
        now_ms: i64,
        settle_at: Option<i64>,
    ) -> Payout {
        let fee = app
            .settings
            .fees
            .get(&method.code)
            .copied()
            .unwrap_or(method.fee)
            .fee_for(req.amount);
        Payout {
            transaction_id,
            app_id: app.app_id.clone(),
            mch_order_id: req.mch_order_id,
            idempotency_id: req.idempotency_id,
            country: method.country,
            method_code: method.code.clone(),
            pay_method_code: method.method.clone(),
            transfer_code: req
                .transfer_code
                .filter(|_| method.kind != TransferKind::None),
            amount: Money::new(req.amount, method.currency()),
            fee,
            status: PayoutStatus::Pending,
            account_no: req.account_no,
            account_name: req.account_name,
            account_type: req.account_type,
            promptpay_account_type: req.promptpay_account_type,
            account_tax_id: req.account_tax_id,
            mobile: req.mobile,
            relationship: req.relationship,
            remark: req.remark,
            notify_url: req
                .notify_url
                .or_else(|| app.settings.payout_callback_url.clone()),
            created_at: now_ms,
            settle_at,
            finished_at: None,
            failure: None,
        }
    }

    /// What must be held to accept the payout.
    pub fn held(&self) -> i64 {
        self.amount.minor + self.fee
    }

    /// The journal entry that freezes the payout's funds when it is accepted.
    pub fn acceptance(&self) -> JournalEntry {
        ledger::payout_accepted(
            &self.transaction_id,
            &self.app_id,
            self.amount.currency,
            self.amount.minor,
            self.fee,
        )
    }

    /// The single transition function of a payout. `memo` records who forced it, if anyone.
    pub fn settle(
        &self,
        outcome: PayoutOutcome,
        now_ms: i64,
        zone: &DisplayZone,
        memo: Option<&str>,
    ) -> Result<PayoutSettlement, TransitionError> {
        if self.status != PayoutStatus::Pending {
            return Err(TransitionError::AlreadyFinal(self.status.as_str()));
        }
        let mut next = self.clone();
        next.finished_at = Some(now_ms);
        next.settle_at = None;
        let (currency, amount, fee) = (self.amount.currency, self.amount.minor, self.fee);
        let journal = match outcome {
            PayoutOutcome::Completed => {
                next.status = PayoutStatus::Completed;
                ledger::payout_completed(
                    &self.transaction_id,
                    &self.app_id,
                    &self.method_code,
                    currency,
                    amount,
                    fee,
                    memo,
                )
            }
            PayoutOutcome::Failed(code) => {
                next.status = PayoutStatus::Failed;
                next.failure = Some(code);
                ledger::payout_failed(
                    &self.transaction_id,
                    &self.app_id,
                    currency,
                    amount,
                    fee,
                    memo,
                )
            }
        };
        let notification = next.notification(zone);
        Ok(PayoutSettlement {
            payout: next,
            journal,
            notification,
        })
    }

    fn notification(&self, zone: &DisplayZone) -> Option<NewNotification> {
        let url = self.notify_url.clone()?;
        let event = if self.status == PayoutStatus::Completed {
            EVENT_PAYOUT_SUCCESS
        } else {
            EVENT_PAYOUT_FAILED
        };
        let payload = PayoutNotification {
            event_name: event.to_string(),
            mch_order_id: self.mch_order_id.clone(),
            transaction_id: self.transaction_id.clone(),
            amount: self.amount.minor,
            transaction_status: self.status.as_str().to_string(),
            create_time: zone.format(self.created_at),
            return_time: self.finished_at.map(|t| zone.format(t)).unwrap_or_default(),
            remark: self.remark.clone().unwrap_or_default(),
            country_code: self.country.code().to_string(),
            currency: self.amount.currency.code().to_string(),
            failed_code: self.failure.map(FailedCode::as_i32),
            failed_message: self.failure.map(|f| f.message().to_string()),
        };
        Some(NewNotification {
            app_id: self.app_id.clone(),
            event: event.to_string(),
            reference: self.transaction_id.clone(),
            url,
            payload: serde_json::to_string(&payload).expect("notification serializes"),
        })
    }

    /// The merchant's view of the payout (`disbursement/check`).
    pub fn check_data(&self, zone: &DisplayZone) -> PayoutCheckData {
        PayoutCheckData {
            mch_order_id: self.mch_order_id.clone(),
            transaction_id: self.transaction_id.clone(),
            amount: self.amount.minor,
            fee: self.fee,
            transaction_status: self.status.as_str().to_string(),
            create_time: zone.format(self.created_at),
            return_time: self.finished_at.map(|t| zone.format(t)),
            remark: self.remark.clone().unwrap_or_default(),
            pay_method_code: self.pay_method_code.clone(),
            transfer_code: self.transfer_code.clone(),
            country_code: self.country.code().to_string(),
            currency: self.amount.currency.code().to_string(),
            failed_code: self.failure.map(FailedCode::as_i32),
            failed_message: self.failure.map(|f| f.message().to_string()),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ledger::Account;
    use crate::{AppSettings, AppStatus, Currency};
    use sampan_protocol::fields::Fields;

    fn app() -> App {
        App {
            app_id: "app".into(),
            name: "shop".into(),
            public_key: "k".into(),
            status: AppStatus::Active,
            settings: AppSettings::default(),
            created_at: 0,
        }
    }

    fn request(country: Country, v: serde_json::Value) -> PayoutTransfer {
        let f = Fields::parse(&v.to_string()).unwrap();
        PayoutTransfer::from_fields(&f, country.payout_form().unwrap(), 1).unwrap()
    }

    fn ph(method: &str, code: &str, account: &str, amount: i64) -> PayoutTransfer {
        request(
            Country::PH,
            serde_json::json!({
                "mchOrderId": "M1", "idempotencyId": "IDEM000001", "amount": amount,
                "accountNo": account, "accountName": "Juan dela Cruz",
                "payMethodCode": method, "transferCode": code, "timestamp": 1
            }),
        )
    }

    fn resolve(country: Country, req: &PayoutTransfer) -> Result<String, PayoutRejection> {
        resolve_method(&Catalog::builtin(), &app(), country, req).map(|m| m.code.clone())
    }

    #[test]
    fn requests_resolve_to_their_method_or_the_right_refusal() {
        assert_eq!(
            resolve(Country::PH, &ph("EWALLET", "GCASH", "09171234567", 5_000)).unwrap(),
            "PH_PAYOUT_EWALLET"
        );
        assert_eq!(
            resolve(Country::PH, &ph("CASH", "GCASH", "09171234567", 5_000)),
            Err(PayoutRejection::UnknownPayMethod)
        );
        assert_eq!(
            resolve(Country::PH, &ph("BANK", "NOPE", "1234567890", 5_000)),
            Err(PayoutRejection::UnknownBank)
        );
        assert_eq!(
            resolve(Country::PH, &ph("EWALLET", "NOPE", "09171234567", 5_000)),
            Err(PayoutRejection::UnknownWallet)
        );
        assert_eq!(
            resolve(Country::PH, &ph("BANK", "GCASH", "1234567890", 5_000)),
            Err(PayoutRejection::TransferCodeMismatch)
        );
        assert!(matches!(
            resolve(Country::PH, &ph("BANK", "BDO", "12345", 5_000)),
            Err(PayoutRejection::Field(e)) if e.field == "accountNo"
        ));
        assert_eq!(
            resolve(Country::PH, &ph("BANK", "BDO", "1234567890", 99)),
            Err(PayoutRejection::AmountOutOfLimits)
        );
        let mut closed = app();
        closed.settings.countries = vec![Country::TH];
        assert_eq!(
            resolve_method(
                &Catalog::builtin(),
                &closed,
                Country::PH,
                &ph("BANK", "BDO", "1234567890", 5_000)
            )
            .map(|m| m.code.clone()),
            Err(PayoutRejection::CountryNotOpened)
        );
    }

    #[test]
    fn typed_account_rules_follow_the_type_field() {
        let my = |t: &str, acct: &str| {
            request(
                Country::MY,
                serde_json::json!({
                    "mchOrderId": "M1", "idempotencyId": "IDEM000001", "amount": 1000,
                    "accountNo": acct, "accountName": "Ali", "payMethodCode": "BANK",
                    "transferCode": "RHBB", "accountType": t, "timestamp": 1
                }),
            )
        };
        assert!(resolve(Country::MY, &my("BANK_ACCOUNT", "1234567")).is_ok());
        assert!(resolve(Country::MY, &my("MOBILE_NUMBER", "0123456789")).is_ok());
        assert!(resolve(Country::MY, &my("MOBILE_NUMBER", "1234567")).is_err());
        let pp = |t: &str, acct: &str| {
            request(
                Country::TH,
                serde_json::json!({
                    "mchOrderId": "M1", "idempotencyId": "IDEM000001", "amount": 1000,
                    "accountNo": acct, "payMethodCode": "PROMPTPAY",
                    "promptpayAccountType": t, "timestamp": 1
                }),
            )
        };
        assert_eq!(
            resolve(Country::TH, &pp("NATID", "1101700203451")).unwrap(),
            "TH_PAYOUT_PROMPTPAY"
        );
        assert!(resolve(Country::TH, &pp("MSISDN", "0812345678")).is_ok());
        assert!(resolve(Country::TH, &pp("NATID", "0812345678")).is_err());
    }

    pub fn pending() -> Payout {
        let catalog = Catalog::builtin();
        let method = catalog.payout_method(Country::PH, "BANK").unwrap();
        let mut req = ph("BANK", "BDO", "1234567890", 50_000);
        req.notify_url = Some("http://127.0.0.1/n".into());
        Payout::new("D1".into(), &app(), method, req, 1_000, Some(2_000))
    }

    #[test]
    fn acceptance_freezes_amount_and_fee() {
        let p = pending();
        assert_eq!(p.fee, 1_000);
        assert_eq!(p.held(), 51_000);
        let e = p.acceptance();
        assert!(e.is_balanced());
        assert!(e
            .postings
            .iter()
            .any(|x| x.account == Account::frozen("app", Currency::PHP) && x.amount == 51_000));
    }

    #[test]
    fn settling_moves_the_frozen_funds_and_announces_it() {
        let zone = DisplayZone::default();
        let done = pending()
            .settle(PayoutOutcome::Completed, 3_000, &zone, None)
            .unwrap();
        assert_eq!(done.payout.status, PayoutStatus::Completed);
        assert_eq!(done.payout.settle_at, None);
        assert!(done.journal.is_balanced());
        let n = done.notification.unwrap();
        assert_eq!(n.event, "disbursement.success");
        let body: serde_json::Value = serde_json::from_str(&n.payload).unwrap();
        assert_eq!(body["countryCode"], "PH");
        assert_eq!(body["currency"], "PHP");
        assert!(body.get("failedCode").is_none());

        let failed = pending()
            .settle(
                PayoutOutcome::Failed(FailedCode::DestinationAccountError),
                3_000,
                &zone,
                Some("op"),
            )
            .unwrap();
        let body: serde_json::Value =
            serde_json::from_str(&failed.notification.unwrap().payload).unwrap();
        assert_eq!(body["eventName"], "disbursement.failed");
        assert_eq!(body["failedCode"], -10005);
        assert_eq!(
            done.payout
                .settle(PayoutOutcome::Completed, 4_000, &zone, None),
            Err(TransitionError::AlreadyFinal("COMPLETED"))
        );
    }

    #[test]
    fn without_any_url_nothing_is_announced() {
        let mut p = pending();
        p.notify_url = None;
        let s = p
            .settle(
                PayoutOutcome::Completed,
                3_000,
                &DisplayZone::default(),
                None,
            )
            .unwrap();
        assert!(s.notification.is_none());
    }
}
