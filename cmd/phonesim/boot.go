package main

import (
	"context"
	"strings"
)

// bootFiles is the normal-boot request list (pure): the optional trust
// files first, then the config files in the order tried. A phone with an
// ITL (from a real CUCM) asks only for the signed config, which the
// appliance cannot produce.
func bootFiles(f Flash, id Identity) (optional, configs []string) {
	m := id.MACU()
	optional = []string{"CTLSEP" + m + ".tlv", "ITLSEP" + m + ".tlv"}
	switch {
	case f.HasITL:
		return optional, []string{"SEP" + m + ".cnf.xml.sgn"}
	case isSIP(f.Load):
		optional = append(optional, "ITLFile.tlv")
	}
	return optional, []string{"SEP" + m + ".cnf.xml", "XMLDefault.cnf.xml"}
}

func isSIP(load string) bool { return strings.HasPrefix(load, "SIP") }

// localeFiles are the optional files a SIP config asks for after the check:
// tones when a network locale is set, then the dial template.
func localeFiles(cfg phoneConfig) []string {
	var out []string
	if cfg["networkLocale"] != "" {
		out = append(out, "g3-tones.xml")
	}
	if t := cfg["dialTemplate"]; t != "" {
		out = append(out, t)
	}
	return out
}

// normalBoot is the boot of a phone with a load: trust files, config, and
// an upgrade when the config names another load.
func (p *phone) normalBoot(ctx context.Context) (next, error) {
	optional, configs := bootFiles(p.flash, p.id)
	p.rec.enter("config", "load", p.flash.Load)
	for _, name := range optional {
		if _, err := p.fetch(ctx, name, 0, nil); err != nil {
			return 0, err
		}
	}
	cfgName, cfg, err := p.fetchConfig(ctx, configs)
	if err != nil {
		return 0, err
	}
	if cfg == nil {
		if p.flash.HasITL {
			p.rec.enter("needs-reset", "reason", "ITL installed: only a signed config is accepted")
		} else {
			p.rec.enter("idle", "reason", "no config")
		}
		return p.idle(ctx)
	}
	p.flash.Config = cfgName
	if err := p.save(); err != nil {
		return 0, err
	}
	if want := wantedLoad(cfg, p.id); want != "" && want != p.flash.Load {
		return p.upgrade(ctx, want)
	}
	if isSIP(p.flash.Load) {
		return p.provision(ctx, cfgName, cfg)
	}
	p.rec.enter("idle", "reason", "SCCP load, no change", "process_node", cfg["processNodeName"])
	return p.idle(ctx)
}

// fetchConfig tries the config files in order; the first that arrives and
// parses wins.
func (p *phone) fetchConfig(ctx context.Context, names []string) (string, phoneConfig, error) {
	for _, name := range names {
		f, err := p.fetch(ctx, name, 1<<20, p.cutOnce("config", 0))
		if err != nil {
			return "", nil, err
		}
		if f.Outcome != outOK {
			continue
		}
		cfg, err := parseConfig(f.Head)
		if err != nil {
			p.log.Warn("config parse error", "file", name, "err", err.Error())
			continue
		}
		return name, cfg, nil
	}
	return "", nil, nil
}

// upgrade fetches the load the config names; the loader accepts it or not.
func (p *phone) upgrade(ctx context.Context, load string) (next, error) {
	name := load + ".loads"
	p.log.Info("loadInformation differs from the running load", "want", load, "running", orNone(p.flash.Load))
	return p.tryLoad(ctx, name, func(LoadsInfo) error {
		p.rec.enter("rejected", "file", name)
		return nil
	})
}

// provision is the SIP config check on a SIP load; a provisioned line then
// registers (sipreg.go) unless -register=false.
func (p *phone) provision(ctx context.Context, cfgName string, cfg phoneConfig) (next, error) {
	for _, name := range localeFiles(cfg) {
		if _, err := p.fetch(ctx, name, 0, nil); err != nil {
			return 0, err
		}
	}
	c := checkSIPConfig(cfgName, cfg, p.opt.PwMax, p.opt.PwMode)
	p.rec.config(c)
	switch {
	case c.Outcome != "provisioned":
		p.rec.enter("unprovisioned", "reason", c.Reason)
	case p.flash.Load == p.opt.Target || p.opt.Target == "":
		p.rec.enter("done", "register_to", c.ProcessNode+":"+c.SIPPort, "password", c.Password)
	default:
		p.rec.enter("provisioned", "register_to", c.ProcessNode+":"+c.SIPPort, "password", c.Password)
	}
	if c.Outcome == "provisioned" && p.opt.SIP.Register {
		return p.register(ctx, c, cfg)
	}
	return p.idle(ctx)
}
