package provision

import (
	"fmt"
	"strings"
)

// ciscoZone is one of the phone's own time zone names with the IANA zones
// that keep the same clock: the same standard offset from UTC (Offset,
// minutes) and daylight saving time or none (the Cisco names with
// "Standard/Daylight" have it).
//
// Sources: the names are the phone's list as usecallmanager documents it
// for SEPMAC.cnf.xml <timeZone> (usecallmanagernz.github.io,
// sepmac-cnf-xml.html); they are Windows zone names, and the IANA zones
// for each come from Unicode CLDR's common/supplemental/windowsZones.xml
// (the Windows zone of the same name), moved to a Cisco zone of the same
// offset where a country changed its rules after the phone's list was made
// (Mexico, Brazil, Russia, Turkey, Jordan and Syria dropped DST; China
// never had it). TestTimeZones checks every entry against Go's tz data.
type ciscoZone struct {
	Name   string
	Offset int
	DST    bool
	IANA   []string
}

var ciscoZones = []ciscoZone{
	{"Dateline Standard Time", -720, false, []string{"Etc/GMT+12"}},
	{"Samoa Standard Time", -660, false, []string{"Pacific/Pago_Pago", "Pacific/Niue", "Pacific/Midway", "Etc/GMT+11"}},
	{"Hawaiian Standard Time", -600, false, []string{"Pacific/Honolulu", "Pacific/Rarotonga", "Pacific/Tahiti", "Etc/GMT+10"}},
	{"Alaskan Standard/Daylight Time", -540, true, []string{"America/Anchorage", "America/Juneau", "America/Metlakatla", "America/Nome", "America/Sitka", "America/Yakutat"}},
	{"Pacific Standard/Daylight Time", -480, true, []string{"America/Los_Angeles", "America/Vancouver", "America/Tijuana"}},
	{"Mountain Standard/Daylight Time", -420, true, []string{"America/Denver", "America/Boise", "America/Edmonton", "America/Cambridge_Bay", "America/Inuvik", "America/Ciudad_Juarez"}},
	{"US Mountain Standard Time", -420, false, []string{"America/Phoenix", "America/Hermosillo", "America/Mazatlan", "America/Creston", "America/Dawson_Creek", "America/Fort_Nelson", "America/Whitehorse", "America/Dawson", "Etc/GMT+7"}},
	{"Central Standard/Daylight Time", -360, true, []string{"America/Chicago", "America/Winnipeg", "America/Matamoros", "America/Ojinaga", "America/Indiana/Knox", "America/Indiana/Tell_City", "America/Menominee", "America/North_Dakota/Center", "America/Rankin_Inlet"}},
	{"Mexico Standard/Daylight Time", -360, true, nil},
	{"Canada Central Standard Time", -360, false, []string{"America/Regina", "America/Swift_Current", "America/Mexico_City", "America/Monterrey", "America/Merida", "America/Bahia_Banderas", "America/Chihuahua", "America/Guatemala", "America/Belize", "America/Costa_Rica", "America/El_Salvador", "America/Tegucigalpa", "America/Managua", "Pacific/Galapagos", "Etc/GMT+6"}},
	{"SA Pacific Standard Time", -300, false, []string{"America/Bogota", "America/Lima", "America/Guayaquil", "America/Jamaica", "America/Panama", "America/Cayman", "America/Rio_Branco", "America/Eirunepe", "America/Cancun", "America/Atikokan", "Etc/GMT+5"}},
	{"Eastern Standard/Daylight Time", -300, true, []string{"America/New_York", "America/Detroit", "America/Toronto", "America/Iqaluit", "America/Nassau", "America/Louisville", "America/Kentucky/Monticello", "America/Indiana/Indianapolis", "America/Indianapolis", "America/Indiana/Petersburg", "America/Indiana/Vincennes", "America/Indiana/Winamac", "America/Indiana/Marengo", "America/Indiana/Vevay"}},
	{"US Eastern Standard Time", -300, false, nil},
	{"Atlantic Standard/Daylight Time", -240, true, []string{"America/Halifax", "America/Glace_Bay", "America/Goose_Bay", "America/Moncton", "Atlantic/Bermuda", "America/Thule"}},
	{"SA Western Standard Time", -240, false, []string{"America/La_Paz", "America/Manaus", "America/Boa_Vista", "America/Porto_Velho", "America/Caracas", "America/Puerto_Rico", "America/Santo_Domingo", "America/Barbados", "America/Port_of_Spain", "America/Curacao", "America/Aruba", "America/Martinique", "America/Guadeloupe", "America/Guyana", "America/Blanc-Sablon", "America/St_Thomas", "America/Antigua", "Etc/GMT+4"}},
	{"Pacific SA Standard Time", -240, false, nil},
	{"Newfoundland Standard/Daylight Time", -210, true, []string{"America/St_Johns"}},
	{"E. South America Standard/Daylight Time", -180, true, nil},
	{"SA Eastern Standard Time", -180, false, []string{"America/Sao_Paulo", "America/Fortaleza", "America/Belem", "America/Maceio", "America/Recife", "America/Santarem", "America/Bahia", "America/Araguaina", "America/Cayenne", "America/Paramaribo", "America/Argentina/Buenos_Aires", "America/Buenos_Aires", "America/Cordoba", "America/Mendoza", "America/Montevideo", "America/Punta_Arenas", "Atlantic/Stanley", "Antarctica/Rothera", "Etc/GMT+3"}},
	{"Pacific SA Daylight Time", -180, false, nil},
	{"Mid-Atlantic Standard/Daylight Time", -120, true, nil},
	{"Azores Standard/Daylight Time", -60, true, []string{"Atlantic/Azores"}},
	{"GMT Standard/Daylight Time", 0, true, []string{"Europe/London", "Europe/Dublin", "Europe/Lisbon", "Atlantic/Madeira", "Atlantic/Canary", "Atlantic/Faroe", "Atlantic/Faeroe", "Europe/Guernsey", "Europe/Isle_of_Man", "Europe/Jersey"}},
	{"Greenwich Standard Time", 0, false, []string{"UTC", "Etc/UTC", "Etc/GMT", "GMT", "Atlantic/Reykjavik", "Africa/Abidjan", "Africa/Accra", "Africa/Bamako", "Africa/Banjul", "Africa/Bissau", "Africa/Conakry", "Africa/Dakar", "Africa/Freetown", "Africa/Lome", "Africa/Monrovia", "Africa/Nouakchott", "Africa/Ouagadougou", "Africa/Sao_Tome", "Atlantic/St_Helena", "America/Danmarkshavn"}},
	{"W. Europe Standard/Daylight Time", 60, true, []string{"Europe/Berlin", "Europe/Amsterdam", "Europe/Andorra", "Europe/Vienna", "Europe/Zurich", "Europe/Busingen", "Europe/Gibraltar", "Europe/Rome", "Europe/Vaduz", "Europe/Luxembourg", "Europe/Monaco", "Europe/Malta", "Europe/Oslo", "Europe/Stockholm", "Arctic/Longyearbyen", "Europe/San_Marino", "Europe/Vatican"}},
	{"GTB Standard/Daylight Time", 120, true, []string{"Europe/Athens", "Europe/Bucharest", "Asia/Nicosia", "Asia/Famagusta", "Europe/Helsinki", "Europe/Kyiv", "Europe/Kiev", "Europe/Mariehamn", "Europe/Riga", "Europe/Sofia", "Europe/Tallinn", "Europe/Vilnius"}},
	{"Egypt Standard/Daylight Time", 120, true, []string{"Africa/Cairo"}},
	{"E. Europe Standard/Daylight Time", 120, true, []string{"Europe/Chisinau"}},
	{"Romance Standard/Daylight Time", 60, true, []string{"Europe/Paris", "Europe/Brussels", "Europe/Copenhagen", "Europe/Madrid", "Africa/Ceuta"}},
	{"Central Europe Standard/Daylight Time", 60, true, []string{"Europe/Budapest", "Europe/Prague", "Europe/Bratislava", "Europe/Ljubljana", "Europe/Belgrade", "Europe/Podgorica", "Europe/Tirane", "Europe/Warsaw", "Europe/Zagreb", "Europe/Sarajevo", "Europe/Skopje"}},
	{"South Africa Standard Time", 120, false, []string{"Africa/Johannesburg", "Africa/Maseru", "Africa/Mbabane", "Africa/Harare", "Africa/Lusaka", "Africa/Maputo", "Africa/Blantyre", "Africa/Kigali", "Africa/Bujumbura", "Africa/Gaborone", "Africa/Lubumbashi", "Africa/Tripoli", "Africa/Khartoum", "Africa/Juba", "Africa/Windhoek", "Europe/Kaliningrad", "Etc/GMT-2"}},
	{"Jerusalem Standard/Daylight Time", 120, true, []string{"Asia/Jerusalem", "Asia/Tel_Aviv"}},
	{"Saudi Arabia Standard Time", 180, false, []string{"Asia/Riyadh", "Asia/Kuwait", "Asia/Qatar", "Asia/Bahrain", "Asia/Aden", "Asia/Baghdad", "Africa/Nairobi", "Africa/Addis_Ababa", "Africa/Dar_es_Salaam", "Africa/Kampala", "Africa/Mogadishu", "Africa/Djibouti", "Indian/Antananarivo", "Europe/Moscow", "Europe/Kirov", "Europe/Simferopol", "Europe/Volgograd", "Europe/Minsk", "Europe/Istanbul", "Asia/Amman", "Asia/Damascus", "Etc/GMT-3"}},
	{"Russian Standard/Daylight Time", 180, true, nil},
	{"Iran Standard/Daylight Time", 210, true, nil},
	{"Caucasus Standard/Daylight Time", 240, true, nil},
	{"Arabian Standard Time", 240, false, []string{"Asia/Dubai", "Asia/Muscat", "Asia/Baku", "Asia/Tbilisi", "Asia/Yerevan", "Europe/Samara", "Europe/Astrakhan", "Europe/Ulyanovsk", "Europe/Saratov", "Indian/Mauritius", "Indian/Reunion", "Indian/Mahe", "Etc/GMT-4"}},
	{"Afghanistan Standard Time", 270, false, []string{"Asia/Kabul"}},
	{"West Asia Standard Time", 300, false, []string{"Asia/Tashkent", "Asia/Samarkand", "Asia/Karachi", "Asia/Ashgabat", "Asia/Dushanbe", "Asia/Oral", "Asia/Aqtau", "Asia/Aqtobe", "Asia/Atyrau", "Asia/Qyzylorda", "Asia/Almaty", "Asia/Qostanay", "Indian/Maldives", "Indian/Kerguelen", "Antarctica/Mawson", "Etc/GMT-5"}},
	{"Ekaterinburg Standard Time", 300, false, []string{"Asia/Yekaterinburg"}},
	{"India Standard Time", 330, false, []string{"Asia/Kolkata", "Asia/Calcutta", "Asia/Colombo"}},
	{"Central Asia Standard Time", 360, false, []string{"Asia/Dhaka", "Asia/Thimphu", "Asia/Bishkek", "Asia/Omsk", "Asia/Urumqi", "Indian/Chagos", "Etc/GMT-6"}},
	{"SE Asia Standard Time", 420, false, []string{"Asia/Bangkok", "Asia/Jakarta", "Asia/Pontianak", "Asia/Ho_Chi_Minh", "Asia/Saigon", "Asia/Phnom_Penh", "Asia/Vientiane", "Asia/Krasnoyarsk", "Asia/Novokuznetsk", "Asia/Novosibirsk", "Asia/Barnaul", "Asia/Tomsk", "Asia/Hovd", "Indian/Christmas", "Etc/GMT-7"}},
	{"China Standard/Daylight Time", 480, true, nil},
	{"Taipei Standard Time", 480, false, []string{"Asia/Taipei", "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Macau", "Asia/Singapore", "Asia/Kuala_Lumpur", "Asia/Kuching", "Asia/Manila", "Asia/Brunei", "Asia/Makassar", "Asia/Irkutsk", "Asia/Ulaanbaatar", "Australia/Perth", "Etc/GMT-8"}},
	{"Tokyo Standard Time", 540, false, []string{"Asia/Tokyo", "Asia/Seoul", "Asia/Pyongyang", "Asia/Jayapura", "Asia/Dili", "Pacific/Palau", "Asia/Yakutsk", "Asia/Chita", "Asia/Khandyga", "Etc/GMT-9"}},
	{"Cen. Australia Standard/Daylight Time", 570, true, []string{"Australia/Adelaide", "Australia/Broken_Hill"}},
	{"AUS Central Standard Time", 570, false, []string{"Australia/Darwin"}},
	{"E. Australia Standard Time", 600, false, []string{"Australia/Brisbane", "Australia/Lindeman"}},
	{"AUS Eastern Standard/Daylight Time", 600, true, []string{"Australia/Sydney", "Australia/Melbourne", "Australia/Canberra", "Australia/ACT", "Australia/NSW", "Australia/Victoria"}},
	{"West Pacific Standard Time", 600, false, []string{"Pacific/Port_Moresby", "Pacific/Guam", "Pacific/Saipan", "Pacific/Chuuk", "Asia/Vladivostok", "Asia/Ust-Nera", "Antarctica/DumontDUrville", "Etc/GMT-10"}},
	{"Tasmania Standard/Daylight Time", 600, true, []string{"Australia/Hobart"}},
	{"Central Pacific Standard Time", 660, false, []string{"Pacific/Guadalcanal", "Pacific/Noumea", "Pacific/Efate", "Pacific/Pohnpei", "Pacific/Kosrae", "Pacific/Bougainville", "Asia/Magadan", "Asia/Sakhalin", "Asia/Srednekolymsk", "Etc/GMT-11"}},
	{"Fiji Standard Time", 720, false, []string{"Pacific/Fiji", "Pacific/Tarawa", "Pacific/Majuro", "Pacific/Kwajalein", "Pacific/Nauru", "Pacific/Funafuti", "Pacific/Wake", "Pacific/Wallis", "Asia/Kamchatka", "Asia/Anadyr", "Etc/GMT-12"}},
	{"New Zealand Standard/Daylight Time", 720, true, []string{"Pacific/Auckland", "Antarctica/McMurdo"}},
}

// zoneIndex maps lower-case IANA and Cisco names to the Cisco name.
var zoneIndex = func() map[string]string {
	m := map[string]string{}
	for _, z := range ciscoZones {
		m[strings.ToLower(z.Name)] = z.Name
		for _, n := range z.IANA {
			m[strings.ToLower(n)] = z.Name
		}
	}
	return m
}()

// DefaultTimeZone is the phone's time zone when neither the row nor the
// bench names one.
const DefaultTimeZone = "Greenwich Standard Time"

// CiscoTimeZone maps a time zone as an operator writes it (an IANA name
// such as Europe/London, or one of the phone's own names such as "GMT
// Standard/Daylight Time"; case-insensitive) to the phone's name.
func CiscoTimeZone(name string) (string, error) {
	if z, ok := zoneIndex[strings.ToLower(strings.TrimSpace(name))]; ok {
		return z, nil
	}
	return "", fmt.Errorf("timezone %q: not a time zone the phone has; write an IANA name such as Europe/London or America/New_York, or one of the phone's names such as \"GMT Standard/Daylight Time\" (see the README)", name)
}
