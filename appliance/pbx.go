package appliance

import (
	"fmt"
	"strings"

	"github.com/phoneflash/phoneflash/appliance/provision"
)

// PresetUsage is the help text of -pbx-preset.
var PresetUsage = "PBX `preset` for the phones' SIP configs: " + strings.Join(provision.PresetNames(), ", ") +
	"\n(transport, SIP port, NAT and registration expiry; the README says what each sets and why).\nA row's preset column wins; empty: UDP to 5060, as a stock FreePBX takes"

// CheckPBX checks PBXPreset and DialPlanFile (the file must be a dial plan
// the phone reads); errors are *ConfigError naming the field.
func (c Config) CheckPBX() error {
	if _, err := provision.LookupPreset(c.PBXPreset); err != nil {
		return fieldErr("PBXPreset", "{PBXPreset}: %v", err)
	}
	if c.DialPlanFile != "" {
		if _, err := provision.LoadDialPlan(c.DialPlanFile); err != nil {
			return fieldErr("DialPlanFile", "{DialPlanFile}: %v", err)
		}
	}
	return nil
}

// benchProvisioner is the provisioner of the bench's settings (preset,
// dial plan), without a table yet.
func benchProvisioner(cfg Config) (*provision.Provisioner, error) {
	p := &provision.Provisioner{Preset: cfg.PBXPreset}
	if cfg.DialPlanFile != "" {
		plan, err := provision.LoadDialPlan(cfg.DialPlanFile)
		if err != nil {
			return nil, fmt.Errorf("-dialplan: %w", err)
		}
		p.DialTemplate = plan
	}
	return p, nil
}
