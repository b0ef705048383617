package kamailio

// CtlPath is an instance's ctl socket, for the tests of package kamailio_test.
func CtlPath(k *Instance) string { return k.ctl() }
