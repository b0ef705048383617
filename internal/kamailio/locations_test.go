package kamailio

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// dump is kamcmd ul.dump output of Kamailio 5.6.3 (trimmed).
const dump = `{
	Domains: {
		Domain: {
			Domain: location
			Size: 1024
			AoRs: {
				Info: {
					AoR: 1006
					HashID: 924766741
					Contacts: {
						Contact: {
							Address: sip:1006@10.79.1.100:5060;transport=udp
							Expires: 3595
							Q: -1
							Call-ID: a84b4c76e66710
							CSeq: 2
							User-Agent: Cisco-CP7906G/9.4.2
							Received: [not set]
							Path: [not set]
							Socket: udp:198.51.100.1:5060
							Instance: <urn:uuid:00000000-0000-0000-0000-002290bad777>
						}
					}
				}
			}
			Stats: {
				Records: 1
				Max-Slots: 1
			}
		}
	}
}
`

func TestParseDump(t *testing.T) {
	got, err := parseDump(dump)
	if err != nil {
		t.Fatal(err)
	}
	want := []Location{{AoR: "1006", Contact: "sip:1006@10.79.1.100:5060;transport=udp", Expires: 3595,
		UserAgent: "Cisco-CP7906G/9.4.2", Instance: "<urn:uuid:00000000-0000-0000-0000-002290bad777>",
		Socket: "udp:198.51.100.1:5060", CallID: "a84b4c76e66710", CSeq: 2}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range []string{"{\n{\n}\n", "}\n"} {
		if _, err := parseDump(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
