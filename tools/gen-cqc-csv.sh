#!/usr/bin/env bash
# tools/gen-cqc-csv.sh - CQC's published files, made up but in CQC's exact
# layouts, at national size: for benchmarking `carewatch import` (and for
# trying it without downloading the real files).
#
#   tools/gen-cqc-csv.sh directory [LOCATIONS [SEED]] > directory.csv
#   tools/gen-cqc-csv.sh ratings   [LOCATIONS [SEED [MONTH]]] > ratings.csv
#   tools/gen-cqc-csv.sh districts [LOCATIONS [SEED]] > districts.tsv
#   tools/gen-cqc-csv.sh active    [LOCATIONS [SEED]] > HSCA_Active_Locations.csv
#   tools/gen-cqc-csv.sh deactivated [LOCATIONS [SEED]] > Deactivated_Locations.csv
#
# The same LOCATIONS and SEED give the same locations in all three, byte for
# byte.  The default, 46,000 locations, is England's register: about 56%
# adult social care (care homes, a third of them nursing; homecare agencies;
# supported living; Extra Care housing), the rest GPs, dentists, hospitals
# and independent clinics, in 48 local authorities, Norfolk among them with
# real Norfolk postcode districts.  The ratings file then has about 320,000
# rows, as CQC's "Latest ratings" Locations sheet does.
#
# directory: "Care directory with ratings": four preamble lines, the header,
#            a UTF-8 BOM, CRLF line ends, quoted fields where Excel quotes them.
# ratings:   the Locations sheet of "Latest ratings" saved as CSV: one row per
#            location x service/population group x domain, Overall and Care
#            Homes groups for care homes, population groups for GPs, a few
#            "Not rated" and "Insufficient evidence to rate", dd/mm/yyyy dates.
#            MONTH (default 0) is the same file MONTH months later: about 3%
#            of rated services a month re-inspected, with later publication
#            dates (and everything else as before).
# active:    "HSCA Active Locations": 122 columns (beds, dormancy, regulated
#            activities, service types and service user bands as Y/N
#            columns), one row per location, a notice row above the header
#            as in 2026 (`cwgen ods` makes the workbook of it).
# deactivated: "Deactivated Locations": 2% of the locations, with their HSCA
#            end date and beds at deactivation.
# districts: "district<TAB>locality" for every district outside Norfolk the
#            files use, spread over the five localities: a national
#            operator's postcode_district map, for the benchmark.
set -euo pipefail

kind=${1:-}
n=${2:-46000}
seed=${3:-42}
month=${4:-0}
case "$kind" in
directory | ratings | districts | active | deactivated) ;;
*)
	echo "usage: $0 directory|ratings|districts|active|deactivated [LOCATIONS [SEED]]" >&2
	exit 2
	;;
esac
if ! [[ "$n" =~ ^[1-9][0-9]*$ ]]; then echo "$0: LOCATIONS must be a positive number" >&2; exit 2; fi
[[ "$seed" =~ ^[0-9]+$ ]] || { echo "$0: SEED must be a number" >&2; exit 2; }
if ! [[ "$month" =~ ^[0-9]+$ ]] || [ "$month" -gt 24 ]; then echo "$0: MONTH must be 0 to 24" >&2; exit 2; fi

exec awk -v kind="$kind" -v n="$n" -v seed="$seed" -v month="$month" '
function pick(list,    a, k) { k = split(list, a, "|"); return a[1 + int(rand() * k)] }
# A field as Excel writes it: quoted when it holds a comma or a quote.
function f(s) {
	if (s ~ /[",]/) { gsub(/"/, "\"\"", s); return "\"" s "\"" }
	return s
}
function dmy(days,    y, m, d, dim) {
	# days since 01/01/2014, to dd/mm/yyyy (a plain civil calendar walk).
	y = 2014
	while (days >= (y % 4 == 0 ? 366 : 365)) { days -= (y % 4 == 0 ? 366 : 365); y++ }
	split("31 28 31 30 31 30 31 31 30 31 30 31", dim, " ")
	if (y % 4 == 0) dim[2] = 29
	for (m = 1; days >= dim[m]; m++) days -= dim[m]
	return sprintf("%02d/%02d/%04d", days + 1, m, y)
}
BEGIN {
	srand(seed)
	nla = split("Norfolk|Suffolk|Essex|Kent|Surrey|Hampshire|Devon|Cornwall|Lancashire|Cumbria|" \
		"Leeds|Manchester|Birmingham|Bristol|Liverpool|Sheffield|Nottinghamshire|Derbyshire|" \
		"Lincolnshire|Cambridgeshire|Hertfordshire|Kent|Leicestershire|Staffordshire|Somerset|" \
		"Dorset|Wiltshire|Gloucestershire|Oxfordshire|Buckinghamshire|Northamptonshire|" \
		"Warwickshire|Worcestershire|Shropshire|Cheshire East|North Yorkshire|East Riding of Yorkshire|" \
		"Northumberland|Durham|Sunderland|Newcastle upon Tyne|Westminster|Camden|Croydon|Barnet|" \
		"Bromley|Ealing|Wandsworth", la, "|")
	narea = split("CO|CM|CT|GU|SO|EX|TR|PR|CA|LS|M|B|BS|L|S|NG|DE|LN|CB|AL|ME|LE|ST|TA|DT|SN|GL|" \
		"OX|HP|NN|CV|WR|SY|CW|YO|HU|NE|DH|SR|NE|W|NW|CR|EN|BR|W|SW", area, "|")
	nnor = split("NR1|NR2|NR3|NR4|NR5|NR6|NR7|NR8|NR9|NR10|NR11|NR12|NR13|NR14|NR15|NR16|NR17|" \
		"NR18|NR19|NR20|NR21|NR22|NR23|NR24|NR25|NR26|NR27|NR28|NR29|NR30|NR31|PE30|PE31|PE32|" \
		"PE33|PE34|PE35|PE36|PE37|PE38|IP20|IP21|IP22|IP24|IP25|IP26", nor, "|")
	split("north|south|east|west|norwich", locality, "|")
	first = "Ashfield|Beech|Cedar|Oak|Willow|Rose|Meadow|Orchard|Holly|Elm|Laurel|Maple|St John'"'"'s|" \
		"Priory|Abbey|Church|Mill|River|Park|Grange|Manor|Brook|Heath|Wood|Hill|Field"
	second = "House|Lodge|Court|View|Gardens|Hall|Place|Mews|Grove|Cottage|Villa|Manor|Lea"
	streets = "High Street|Church Road|Station Road|Mill Lane|The Green|London Road|Park Avenue|" \
		"Victoria Road|Queens Road|Manor Way|School Lane|North Street|Cliff Road"
	if (kind == "directory") {
		printf "\357\273\277CQC Locations data,,,,,,,,,,,,,,\r\n,,,,,,,,,,,,,,\r\n"
		printf "This data was produced on 01 April 2024,,,,,,,,,,,,,,\r\n,,,,,,,,,,,,,,\r\n"
		printf "Name,Also known as,Address,Postcode,Phone number,Service'"'"'s website (if available)," \
			"Service types,Date of latest check,Specialisms/services,Provider name,Local authority," \
			"Region,Location URL,CQC Location ID (for office use only),CQC Provider ID (for office use only)\r\n"
	} else if (kind == "ratings") {
		printf "Location ID,Location ODS Code,Location Name,Care Home?,Location Type," \
			"Location Primary Inspection Category,Location Street Address,Location Address Line 2," \
			"Location City,Location Post Code,Location Local Authority,Location Region," \
			"Location NHS Region,Location ONSPD CCG Code,Location ONSPD CCG," \
			"Location Commissioning CCG Code,Location Commissioning CCG Name," \
			"Service / Population Group,Domain,Latest Rating,Publication Date,Report Type," \
			"Inherited Rating (Y/N),URL,Provider ID,Provider Name,Brand ID,Brand Name\n"
	}
	nst = split("Care home service with nursing|Care home service without nursing|Domiciliary care service|" \
		"Supported living service|Extra Care housing services|Shared Lives|Doctors consultation service|" \
		"Dental service|Acute services with overnight beds|Diagnostic and/or screening service|" \
		"Community healthcare service|Hospice services|Rehabilitation services|Mobile doctors service|" \
		"Remote clinical advice service|Urgent care services|Ambulance service|Blood and transplant service|" \
		"Substance misuse problems|Mental health conditions|Prison healthcare services|" \
		"Specialist college service|Residential substance misuse treatment|Long term conditions services|" \
		"Hyperbaric chamber|Community based services for people with a learning disability|" \
		"Community based services for people with mental health needs|Community based services for people who misuse substances|" \
		"Hospital services for people with mental health needs|Low secure and rehabilitation", st, "|")
	nra = split("Accommodation for persons who require nursing or personal care|Personal care|" \
		"Treatment of disease, disorder or injury|Diagnostic and screening procedures|Surgical procedures|" \
		"Maternity and midwifery services|Family planning|Termination of pregnancies|" \
		"Services in slimming clinics|Management of supply of blood|Transport services, triage|" \
		"Assessment or medical treatment for persons detained|Nursing care|Accommodation for persons who require treatment", ra, "|")
	nub = split("Dementia|Learning disabilities|Mental health|Physical disability|Sensory impairment|" \
		"Substance misuse|Younger adults|Older people|Children 0-18 years|Whole population|" \
		"Eating disorders|Caring for adults over 65 yrs|Caring for adults under 65 yrs|Detained under the Mental Health Act", ub, "|")
	if (kind == "active") {
		printf "CQC is moving to a new regulatory platform. This file is produced from the old system.\n"
		printf "Location ID,Location ODS Code,Location Name,Location Telephone Number,Location Web Address,"
		printf "Care home?,Care homes beds,Dormant (Y/N),Location Type/Sector,Location Inspection Directorate,"
		printf "Location Primary Inspection Category,Location Latest Overall Rating,Publication Date,"
		printf "Location Region,Location NHS Region,Location Local Authority,Location ONSPD CCG Code,"
		printf "Location ONSPD CCG,Location Commissioning CCG Code,Location Commissioning CCG,"
		printf "Location Street Address,Location Address Line 2,Location City,Location County,"
		printf "Location Postal Code,Location Paf ID,Location UPRN ID,Location Latitude,Location Longitude,"
		printf "Location Parliamentary Constituency,Location Also Known As,Location Specialisms,"
		printf "Location HSCA start date,Provider ID,Provider Name,Provider Type/Sector"
		for (k = 1; k <= nra; k++) printf ",%s", f("Regulated activity - " ra[k])
		for (k = 1; k <= nst; k++) printf ",%s", f("Service type - " st[k])
		for (k = 1; k <= nub; k++) printf ",%s", f("Service user band - " ub[k])
		for (k = 36 + nra + nst + nub; k < 122; k++) printf ",Inspection %d", k
		printf "\n"
	} else if (kind == "deactivated") {
		printf "Location ID,Location Name,Location HSCA start date,Location HSCA End Date,Location Type/Sector,"
		printf "Care home?,Care homes beds at point of deactivation,Location Local Authority,Location Region,"
		printf "Provider ID,Provider Name\n"
	}
	split("Safe|Effective|Caring|Responsive|Well-led|Overall", dom, "|")
	split("Older People|People with long term conditions|Families, children and young people|" \
		"Working age people (including those recently retired and students)|" \
		"People whose circumstances may make them vulnerable|" \
		"People experiencing poor mental health (including people with dementia)", grp, "|")
	for (i = 0; i < n; i++) {
		# Each location draws from its own stream, so it is the same in
		# every kind of file whatever the others drew.
		srand(seed * 1000003 + i * 7919)
		rand()
		loc = sprintf("1-%d", 1000000000 + i * 7)
		org = int(i / (1 + i % 4))
		prov = sprintf("1-%d", 100000000 + org)
		pname = pick(first) " " pick("Care|Healthcare|Living|Support|Homes") " " pick("Ltd|Limited|LLP|Group Ltd|CIC")
		l = 1 + int(rand() * nla)
		town = la[l] == "Norfolk" ? pick("Norwich|Great Yarmouth|King'"'"'s Lynn|Cromer|Dereham|Thetford|Diss") \
		                          : la[l] " Town"
		if (la[l] == "Norfolk")
			district = nor[1 + int(rand() * nnor)]
		else
			district = area[1 + (l * 7) % narea] (1 + int(rand() * 30))
		pc = district " " int(rand() * 10) pick("A|B|D|E|F|G|H|J|L|N|P|Q|R|S|T|U|W") pick("A|B|D|E|F|G|H|J|L|N|P|Q|R|S|T|U|W|X|Y|Z")
		if (kind == "districts") {
			if (la[l] != "Norfolk" && !(district in seen)) {
				seen[district] = 1
				printf "%s\t%s\n", district, locality[1 + (nseen++) % 5]
			}
			continue
		}
		name = pick(first) " " pick(second)
		if (rand() < 0.05) name = name ", " town
		addr = (1 + int(rand() * 200)) " " pick(streets) ", " town
		r = rand()
		# Adult social care, the rest of the register, and what CQC calls each.
		if (r < 0.56) {
			s = rand()
			if (s < 0.20)      { types = rand() < 0.6 ? "Residential homes|Nursing homes" : "Nursing homes"; home = 1 }
			else if (s < 0.55) { types = "Residential homes"; home = 1 }
			else if (s < 0.85) { types = rand() < 0.2 ? "Homecare agencies|Supported living" : "Homecare agencies"; home = 0 }
			else if (s < 0.95) { types = "Supported living"; home = 0 }
			else               { types = "Extra Care housing services|Homecare agencies"; home = 0 }
			ltype = "Social Care Org"
			cat = home ? "Residential social care" : "Community based adult social care services"
		} else if (r < 0.70) {
			types = "Doctors/GPs"; ltype = "Primary Medical Services"; cat = "GP Practices"; home = 0
			name = pick(first) " " pick("Surgery|Medical Centre|Health Centre|Practice")
		} else if (r < 0.92) {
			types = "Dentists"; ltype = "Primary Dental Care"; cat = "Dentists"; home = 0
			name = pick(first) " Dental " pick("Practice|Care|Clinic")
		} else {
			types = pick("Hospitals|Clinics|Community services - Healthcare"); home = 0
			ltype = pick("NHS Healthcare Organisation|Independent Healthcare Org")
			cat = "Acute hospital - Independent"
		}
		if (kind == "directory") {
			printf "%s,,%s,%s,0%d %06d,,%s,%s,%s,%s,%s,%s,https://www.cqc.org.uk/location/%s,%s,%s\r\n",
				f(name), f(addr), pc, 1200 + int(rand() * 800), int(rand() * 1000000), f(types),
				dmy(int(rand() * 3700)),
				home ? "Caring for adults over 65 yrs|Dementia|Physical disabilities" : "Caring for adults under 65 yrs",
				f(pname), f(la[l]), "East", loc, loc, prov
			continue
		}
		if (kind == "active" || kind == "deactivated") {
			beds = home ? 10 + int(rand() * 80) : ""
			start = dmy(int(rand() * 2000))
			if (kind == "deactivated") {
				if (rand() >= 0.02)
					continue
				printf "%s,%s,%s,%s,%s,%s,%s,%s,East,%s,%s\n", loc, f(name), start, dmy(3000 + int(rand() * 1500)),
					ltype, home ? "Y" : "N", beds, f(la[l]), prov, f(pname)
				continue
			}
			printf "%s,,%s,0%d %06d,,%s,%s,%s,%s,Adult social care,%s,Good,%s,East,East of England,%s,26A,NHS ICB,26A,NHS ICB,%s,,%s,,%s,,,52.6,1.3,,,,%s,%s,%s,Independent Healthcare Org",
				loc, f(name), 1200 + int(rand() * 800), int(rand() * 1000000), home ? "Y" : "N", beds,
				rand() < 0.03 ? "Y" : "N", ltype, f(cat), dmy(730 + int(rand() * 3650)), f(la[l]),
				f(addr), f(town), pc, start, prov, f(pname)
			for (k = 1; k <= nra; k++) printf ",%s", (k == 1 && home) || (k == 2 && !home && ltype == "Social Care Org") ? "Y" : "N"
			for (k = 1; k <= nst; k++) {
				y = (k == 1 && types ~ /Nursing/) || (k == 2 && types ~ /Residential/ && types !~ /Nursing/) ||
				    (k == 3 && types ~ /Homecare/) || (k == 4 && types ~ /Supported/) || (k == 5 && types ~ /Extra Care/) ||
				    (k == 7 && types ~ /Doctors/) || (k == 8 && types ~ /Dentists/)
				printf ",%s", y ? "Y" : "N"
			}
			for (k = 1; k <= nub; k++) printf ",%s", rand() < 0.3 ? "Y" : "N"
			for (k = 36 + nra + nst + nub; k < 122; k++) printf ","
			printf "\n"
			continue
		}
		# Latest ratings: dentists are not rated; 6% of services not yet.
		if (types == "Dentists" || rand() < 0.06)
			continue
		pub = dmy(730 + int(rand() * 3650))
		# Re-inspections by month m: a fixed 3% of services each month (a
		# hash, not rand(), so every other draw stays as it was).
		for (m = month; m >= 1; m--)
			if ((i * 7919 + m * 104729) % 100 < 3) { pub = dmy(4400 + 30 * m); break }
		overall = rand()
		common = sprintf("%s,,%s,%s,%s,%s,%s,,%s,%s,%s,East,East of England,26A,%s,26A,%s", loc, f(name),
			home ? "Y" : "N", ltype, f(cat), f(addr), f(town), pc, f(la[l]),
			f("NHS " la[l] " ICB"), f("NHS " la[l] " ICB - 26A"))
		tail = sprintf("Location,N,https://www.cqc.org.uk/location/%s,%s,%s,BD%03d,%s", loc, prov, f(pname),
			org % 1000, org % 9 == 0 ? f(pick(first) " Group") : "-")
		for (d = 1; d <= 6; d++) {
			x = rand()
			if (x < 0.02)                 rating = pick("Not rated|Insufficient evidence to rate")
			else if (overall < 0.05)      rating = x < 0.5 ? "Outstanding" : "Good"
			else if (overall < 0.80)      rating = x < 0.9 ? "Good" : "Requires improvement"
			else if (overall < 0.97)      rating = x < 0.6 ? "Requires improvement" : "Good"
			else                          rating = x < 0.5 ? "Inadequate" : "Requires improvement"
			printf "%s,Overall,%s,%s,%s,%s\n", common, dom[d], rating, pub, tail
			if (home)
				printf "%s,Care Homes,%s,%s,%s,%s\n", common, dom[d], rating, pub, tail
			if (types == "Doctors/GPs")
				printf "%s,%s,%s,%s,%s,%s\n", common, f(grp[d]), "Overall", rating, pub, tail
		}
	}
}'
