// Package payment implements the merchant side of Alipay's cross-border
// online payment protocol, the "mapi" gateway: create_forex_trade_wap (mobile
// web), create_forex_trade (desktop web), mobile.securitypay.pay (native app
// order strings), notify_verify, single_trade_query, forex_refund with its
// asynchronous result and alipay.acquire.refund.query, forex_rate_file and
// the reconciliation and settlement files (forex_compare_file,
// forex_liquidation_file), with MD5, RSA (SHA1withRSA) and RSA2
// (SHA256withRSA) signatures.
//
// It depends on the standard library and golang.org/x/text only, so it can be
// copied into any Go application.
//
// # Signing
//
// Every message is signed over its pre-sign string (Params.PreSign): all
// parameters except sign, sign_type and empty ones, sorted by key, joined as
// key=value with &, values raw. App order strings quote the values instead
// (key="value") and are signed as built. What Alipay sends is verified over
// every field that arrived, with the configured sign type only.
//
// # Money
//
// Amounts are int64 minor units of a Currency; JPY and KRW have no decimals.
// FormatAmount and ParseAmount convert to and from Alipay's decimal strings
// and never use floating point.
//
// # Use
//
// Create a Client with NewClient, send buyers to Client.PayURL, hand apps
// Client.AppOrderString, and mark orders paid only from a notification that
// Client.ParseNotification accepted (and Client.NotifyVerify confirmed),
// after checking its out_trade_no, amount and currency against your order.
// A notification whose signature verified but whose content is unexpected
// (ErrContent, with Notification.Verified set) is still Alipay's: record it
// for review and answer "success", or Alipay resends it for 25 hours.
//
// Refunds sent with is_sync=N report their outcome later, by a refund
// notification to the refund's notify_url (Client.ParseRefundNotification)
// and through Client.QueryRefund. Both kinds of notification may reach one
// endpoint: NotificationKind tells them apart, and each parser refuses the
// other kind, so a refund's result can never mark an order paid.
//
// Give every payment an absolute deadline (TradeRequest.OrderGMTCreate and
// OrderValidTime, AppPayRequest.ItBPayDeadline): the relative timeouts
// start only when the buyer opens the cashier.
package payment
