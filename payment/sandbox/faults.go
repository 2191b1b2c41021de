package sandbox

import (
	"fmt"

	"shop/payment"
)

// Faults are the knobs that make the sandbox misbehave the ways real
// integrations break. They live in memory and reset on restart.
type Faults struct {
	// Services holds per-service faults, keyed by service name
	// ("single_trade_query", "notify_verify", "create_forex_trade_wap", ...).
	Services map[string]ServiceFault `json:"services"`
	// DuplicateNotify sends every notification attempt twice, at once.
	DuplicateNotify bool `json:"duplicate_notify"`
	// OutOfOrderNotify follows a payment with two notifications,
	// TRADE_SUCCESS and TRADE_FINISHED, delivering the later status first.
	OutOfOrderNotify bool `json:"out_of_order_notify"`
	// CorruptSign breaks the signature of notifications, returns and XML
	// answers created while it is on.
	CorruptSign bool `json:"corrupt_sign"`
	// GBKResponses answers server calls with XML encoded in GBK.
	GBKResponses bool `json:"gbk_responses"`
	// AppResult is the resultStatus the app endpoint answers: "9000"
	// (paid), "8000" (processing), "4000" (failed) or "6001" (cancelled).
	AppResult string `json:"app_result"`
	// RefundBalanceNotEnough makes a synchronous forex_refund answer
	// MERCHANT_BALANCE_NOT_ENOUGH, and an asynchronous one, accepted,
	// fail with it when it is made (while the knob is still on then).
	RefundBalanceNotEnough bool `json:"refund_balance_not_enough"`
	// FileFault spoils the reconciliation and settlement files:
	// "drop_line" leaves out their first line, "alter_amount" adds one
	// minor unit to its amount; "" leaves them alone.
	FileFault string `json:"file_fault"`
	// PaidStatus is the trade_status of a paid trade: TRADE_FINISHED (the
	// documented value) or TRADE_SUCCESS (what the real sandbox has sent).
	PaidStatus payment.TradeStatus `json:"paid_status"`
}

// ServiceFault slows a service down or makes it fail.
type ServiceFault struct {
	DelayMS int  `json:"delay_ms"` // answer after this many milliseconds
	Fail5xx bool `json:"fail_5xx"` // answer 502 instead of the service
}

func defaultFaults() Faults {
	return Faults{Services: map[string]ServiceFault{}, AppResult: "9000", PaidStatus: payment.TradeFinished}
}

func (f *Faults) validate() error {
	switch f.AppResult {
	case "9000", "8000", "4000", "6001":
	default:
		return fmt.Errorf("app_result must be 9000, 8000, 4000 or 6001")
	}
	switch f.FileFault {
	case "", fileFaultDrop, fileFaultAlter:
	default:
		return fmt.Errorf("file_fault must be %s, %s or empty", fileFaultDrop, fileFaultAlter)
	}
	if f.PaidStatus != payment.TradeFinished && f.PaidStatus != payment.TradeSuccess {
		return fmt.Errorf("paid_status must be TRADE_FINISHED or TRADE_SUCCESS")
	}
	for name, sf := range f.Services {
		if sf.DelayMS < 0 || sf.DelayMS > 120_000 {
			return fmt.Errorf("services.%s.delay_ms must be 0 to 120000", name)
		}
	}
	if f.Services == nil {
		f.Services = map[string]ServiceFault{}
	}
	return nil
}

// Faults returns a copy of the current knobs.
func (s *Sandbox) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.faults
	c.Services = make(map[string]ServiceFault, len(s.faults.Services))
	for k, v := range s.faults.Services {
		c.Services[k] = v
	}
	return c
}

// SetFaults replaces the knobs.
func (s *Sandbox) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
	return nil
}

func (s *Sandbox) serviceFault(name string) ServiceFault {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults.Services[name]
}

// corrupt damages a signature in a way that still looks plausible: one
// character changed to another hex and base64 digit.
func corrupt(sig string) string {
	if sig == "" {
		return sig
	}
	b := []byte(sig)
	if b[0] == '0' {
		b[0] = '1'
	} else {
		b[0] = '0'
	}
	return string(b)
}
