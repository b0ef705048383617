// Binary phonesim simulates one SEP-XML Cisco 79xx phone on the wire (a
// CP-7906G/7911G, 7941G/7961G and their -GE, 7942G/7962G, 7945G/7965G,
// 7970G/7971G-GE or 7975G: -model; a model of a models.json file with
// -models), for tests, `phoneflash demo` and benchmarks. It follows the
// domain notes (cisco-79x1-protocol.md §9, scenarios A to E; the model's
// row of phoneflash's model table for its term file, loads, option 60 and
// device type, cisco-79xx-families.md).
//
// One process is one phone. It runs as root inside a network namespace on
// one interface:
//
//	ip netns exec phone1 phonesim -iface veth1 -mac 00:22:90:ba:d7:77 -model 7906 \
//	    -flash /tmp/phone1.json -scenario formatted-old -timescale 50 \
//	    -until done -result /tmp/phone1.result.json
//
// What it does on the wire:
//
//   - Cold-boot wait of 1..10 s, then DHCP from a UDP socket on 0.0.0.0:68
//     bound to the interface: a 548-byte BOOTP DISCOVER with options 53, 61
//     (01+MAC), 12 ("SEP"+MAC), 60 ("Cisco Systems, Inc. IP Phone CP-79xxG"
//     plus a NUL, length strlen+1; -vendor-class changes the model string
//     or drops the option), 55 (1,66,6,3,15,150,35), 255; REQUEST
//     adds 54 and 50 (order 53, 54, 61, 12, 60, 50, 55). Retransmissions
//     after 4, 8, 16, 32 and 64 s add to secs; then INIT again with a new
//     xid. The leased address is put on the interface over netlink.
//   - TFTP server: alternate TFTP (flash) > option 150 (first of two) >
//     option 66 (dotted IP; no DNS) > siaddr. Without one: retry in 30 s.
//   - RFC 1350 TFTP: RRQ "octet" without options, DATA only from the first
//     reply's TID (others get ERROR 5), 512-byte blocks (a larger one aborts
//     the file), a 4 s timeout (real time unless -scale-tftp) and 3
//     retransmissions of the last packet; ERROR 1 is "not found".
//   - Default-load mode (no app load, e.g. after the keyed reset): RRQ
//     its model's termNN.default.loads (term42 for a 7942), which names
//     no load: the phone takes its family's load of the images' release.
//     Scenarios start on its family's loads (SCCP42.8-0-3S ...). Normal
//     boot: CTLSEP<MAC>.tlv,
//     ITLSEP<MAC>.tlv, (SIP:) ITLFile.tlv, SEP<MAC>.cnf.xml, else
//     XMLDefault.cnf.xml; a phone with an ITL asks only for
//     SEP<MAC>.cnf.xml.sgn. A config whose loadInformation (or
//     loadInformation<its device type>) differs from the running load makes the phone
//     fetch <load>.loads and its images.
//   - Loading: every .sbn in .loads order, staged in "RAM" (counted, not
//     kept), each with its signed header and embedded name checked; then a
//     flash write (10 s per MB), the new load and CNU, a reboot, and one
//     more reboot when the CNU changed.
//   - SIP config check on a SIP load: deviceProtocol SIP, a processNodeName,
//     and authPassword no longer than -pw-max (-pw-mode parse_error leaves
//     the line unprovisioned; truncate would use the first pw_max
//     characters). "done" = the -target load with a provisioned config.
//   - SIP registration (scenarios C and D; -register=false skips it): the
//     first line registers with processNodeName:sipPort (or the line's
//     <proxy> when it names a host) through the lease's router (option 3
//     becomes the default route), over transportLayerProtocol 1 = TCP,
//     2 or none = UDP, on github.com/emiago/sipgo: REGISTER from port
//     5060 (UDP) with User-Agent Cisco-CP79xxG/<version of the load>, a
//     Contact with +sip.instance="<urn:uuid:00000000-0000-0000-0000-<mac>>"
//     and Expires = timerRegisterExpires; a 401/407 is answered with a
//     digest of authName/authPassword (the first -pw-max characters in
//     truncate mode). 200 OK: registered, refreshed at the granted expiry
//     minus timerRegisterDelta (under 60 s: after timerRegisterExpires).
//     401/403 to the credentials: refused; 404: unknown-extension; other
//     answers: reg-rejected; no final answer within -reg-timeout (real time):
//     unreachable; each is tried again after -reg-retry (the registration
//     loop a PBX sees for a wrong password). The phone listens on UDP and
//     TCP 5060: OPTIONS gets 200; a NOTIFY with Event: check-sync gets 200
//     and reboots the phone, which asks for its config again; other
//     NOTIFY events get 489. The result's "registration" holds the state,
//     the registrar, the last status and reason phrase and the counts.
//
// Authentication is version-based. Synthetic firmware carries placeholder
// signatures and no known hashes, so instead of the loader's hash table:
// the header must parse, its tag-14 file name must equal the requested name,
// the .loads hardware level must not exceed 1, and the old CNU (before
// 8.3(3)) refuses every 9.x load; new CNUs accept all. A refused term file
// is asked for again about 1 s later (the observed pairs), then again after
// retry_default_load (90..150 s), with DHCP each cycle.
//
// Flash state is a JSON file (-flash) written atomically at each simulated
// flash write: CNU (old, new = 8.3(3)..8.5, new9 = 9.x/4.1), app load, ITL,
// alternate TFTP, a load being written, and life-long counters. Killing the
// process is a power cut (detected at the next start; SIGTERM/SIGINT count
// it at once); starting it again with the same file is power-on. A cut
// while staging images keeps the previous load; a cut during the flash
// write makes the next boot re-request the .loads it was writing. -cut-at
// dhcp|loads|config|flash-write|image:K:BYTES cuts power by itself (exit 3).
// SIGUSR1, and -keyed-reset at start, is the operator's keyed hard reset
// (power-cycle holding #, 3491672850*#): /flash0 is formatted except the
// CNU.
//
// -timescale F divides every phone-side delay (cold boot, DHCP back-off,
// retry_default_load, the 1 s pair gap, flash writes, reboots, -idle-reask).
//
// States (for -until STATE[:N], the result and the logs): booting, dhcp,
// no-tftp, default-load, rejected, load-missing, recovering, loading,
// load-failed, flashing, rebooting, config, idle, needs-reset, provisioned,
// unprovisioned, done, reset, and after done or provisioned: registering,
// registered, refused, unknown-extension, reg-rejected, unreachable. With
// -until done the phone stops at done and does not register.
//
// Exit codes: 0 -until reached or SIGTERM/SIGINT, 1 error, 2 usage,
// 3 -cut-at power cut, 4 -max-time passed. At exit it writes the JSON
// Result (-result) and prints a one-line summary on stdout; logs are slog
// text lines on stderr tagged with mac, model and file.
//
// Not simulated: CDP/LLDP and voice VLANs, lease renewal (T1/T2), the
// duplicate-address probe and DECLINE, DNS (a processNodeName that is a
// name is resolved by the host's resolver), SIP over TLS, calls, locale
// jars, parallel downloads and bricking.
package main
