package firmware

// knownSHA1 is the SHA-1 of each file of Cisco's SIP 9.4(2)SR1 load for the
// 7906/7911 (domain notes §7, computed from the genuine files).
func knownSHA1() map[string]string {
	return map[string]string{
		"jar11sip.9-4-2ES9.sbn":   "4127916da721a3a7f95add566b03cdcfe6711acc",
		"cnu11.9-4-2ES9.sbn":      "c047a2c751c1e9a61bd864e98d3945affd8060a9",
		"apps11.9-4-2ES9.sbn":     "6d2e6a226bd7e44f75ded3be7ddc3cb28bc2f38b",
		"dsp11.9-4-2ES9.sbn":      "f5be28a01de846b494aaa37cf4b2f79995728484",
		"cvm11sip.9-4-2ES9.sbn":   "8c2eb3056140f32e515de2def36fa3490d045b72",
		"SIP11.9-4-2SR1-1S.loads": "80444c6bf1b831f818934f9a337c4f038940e597",
		"term06.default.loads":    "0a257a1ec28f2c9cc9c5f9168eb098a6210e0509",
		"term11.default.loads":    "b391d01299b735f9c2e5a3fdaadf0f75da5a5612",
	}
}

// KnownGood reports whether a file of this name and SHA-1 (lower-case hex) is
// one of Cisco's files listed in the domain notes.
func KnownGood(name, sha1hex string) bool {
	want, ok := knownSHA1()[name]
	return ok && want == sha1hex
}
