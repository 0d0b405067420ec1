package memory

import (
	"math"
	"time"
)

// The Korean lunisolar calendar, as far as holidays need it.
//
// Where the dates come from: they are computed, not looked up. A lunar
// month starts on the day (in Korea Standard Time, UTC+9) of a new moon,
// and lunar month n is the one containing the n-th principal solar term
// counted from the rain-water term (month 1 contains the moment the Sun
// reaches ecliptic longitude 330°, month 4 the one at 60°, month 8 the
// autumnal equinox at 180°). New moons are computed with the mean-phase
// series and periodic terms of J. Meeus, Astronomical Algorithms (2nd ed.,
// ch. 49), the Sun's apparent longitude with the low-precision series of
// ch. 25; both are accurate to well under an hour, which decides the day
// except for a new moon within minutes of midnight KST. The results are
// checked in tests against the published Korean public-holiday dates of
// 설날 and 추석 for 2017 to 2027 (e.g. 설날 2027-02-07 in Korea, a day
// after the Chinese New Year, because the new moon falls after midnight
// in KST but before it in UTC+8).

var kstZone = time.FixedZone("KST", 9*3600)

const deltaT = 69.0 / 86400 // TT - UT in days, close enough for 2000-2050

// newMoonJDE is the Julian Ephemeris Day of new moon number k (k = 0 near
// 2000-01-06).
func newMoonJDE(k float64) float64 {
	t := k / 1236.85
	rad := math.Pi / 180
	jde := 2451550.09766 + 29.530588861*k + 0.00015437*t*t - 0.000000150*t*t*t + 0.00000000073*t*t*t*t
	e := 1 - 0.002516*t - 0.0000074*t*t
	m := (2.5534 + 29.10535670*k - 0.0000014*t*t - 0.00000011*t*t*t) * rad
	mp := (201.5643 + 385.81693528*k + 0.0107582*t*t + 0.00001238*t*t*t - 0.000000058*t*t*t*t) * rad
	f := (160.7108 + 390.67050284*k - 0.0016118*t*t - 0.00000227*t*t*t + 0.000000011*t*t*t*t) * rad
	om := (124.7746 - 1.56375588*k + 0.0020672*t*t + 0.00000215*t*t*t) * rad
	s := math.Sin
	jde += -0.40720*s(mp) + 0.17241*e*s(m) + 0.01608*s(2*mp) + 0.01039*s(2*f) + 0.00739*e*s(mp-m) -
		0.00514*e*s(mp+m) + 0.00208*e*e*s(2*m) - 0.00111*s(mp-2*f) - 0.00057*s(mp+2*f) + 0.00056*e*s(2*mp+m) -
		0.00042*s(3*mp) + 0.00042*e*s(m+2*f) + 0.00038*e*s(m-2*f) - 0.00024*e*s(2*mp-m) - 0.00017*s(om) -
		0.00007*s(mp+2*m) + 0.00004*s(2*mp-2*f) + 0.00004*s(3*m) + 0.00003*s(mp+m-2*f) + 0.00003*s(2*mp+2*f) -
		0.00003*s(mp+m+2*f) + 0.00003*s(mp-m+2*f) - 0.00002*s(mp-m-2*f) - 0.00002*s(3*mp+m) + 0.00002*s(4*mp)
	// planetary arguments
	a := [...][3]float64{
		{299.77, 0.107408, 0.000325}, {251.88, 0.016321, 0.000165}, {251.83, 26.651886, 0.000164},
		{349.42, 36.412478, 0.000126}, {84.66, 18.206239, 0.000110}, {141.74, 53.303771, 0.000062},
		{207.14, 2.453732, 0.000060}, {154.84, 7.306860, 0.000056}, {34.52, 27.261239, 0.000047},
		{207.19, 0.121824, 0.000042}, {291.34, 1.844379, 0.000040}, {161.72, 24.198154, 0.000037},
		{239.56, 25.513099, 0.000035}, {331.55, 3.592518, 0.000023},
	}
	for i, x := range a {
		arg := x[0] + x[1]*k
		if i == 0 {
			arg -= 0.009173 * t * t
		}
		jde += x[2] * s(arg*rad)
	}
	return jde
}

// sunLongitude is the Sun's apparent ecliptic longitude in degrees at
// Julian Ephemeris Day jde.
func sunLongitude(jde float64) float64 {
	t := (jde - 2451545) / 36525
	rad := math.Pi / 180
	l0 := 280.46646 + 36000.76983*t + 0.0003032*t*t
	m := (357.52911 + 35999.05029*t - 0.0001537*t*t) * rad
	c := (1.914602-0.004817*t-0.000014*t*t)*math.Sin(m) + (0.019993-0.000101*t)*math.Sin(2*m) + 0.000289*math.Sin(3*m)
	om := (125.04 - 1934.136*t) * rad
	l := l0 + c - 0.00569 - 0.00478*math.Sin(om)
	return math.Mod(math.Mod(l, 360)+360, 360)
}

// solarTermJDE is when, near jde0, the Sun reaches longitude lon.
func solarTermJDE(lon, jde0 float64) float64 {
	jde := jde0
	for range 50 {
		d := lon - sunLongitude(jde)
		d = math.Mod(d+540, 360) - 180
		if math.Abs(d) < 1e-6 {
			break
		}
		jde += d * 365.2422 / 360
	}
	return jde
}

func jdeToKST(jde float64) time.Time {
	unix := (jde - deltaT - 2440587.5) * 86400
	sec := math.Floor(unix)
	return time.Unix(int64(sec), int64((unix-sec)*1e9)).In(kstZone)
}

func kstDay(t time.Time) time.Time {
	t = t.In(kstZone)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func timeToJDE(t time.Time) float64 {
	return float64(t.UnixNano())/86400e9 + 2440587.5 + deltaT
}

// koreanLunarDay returns the Gregorian date (at midnight UTC, to be read as
// a calendar date) of lunar month month (1, 4 or 8: the months whose
// principal term is known here), day day, of Korean lunar year y.
func koreanLunarDay(y, month, day int) time.Time {
	var lon float64
	var approx time.Time
	switch month {
	case 1:
		lon, approx = 330, time.Date(y, 2, 19, 0, 0, 0, 0, time.UTC)
	case 4:
		lon, approx = 60, time.Date(y, 5, 21, 0, 0, 0, 0, time.UTC)
	default:
		lon, approx = 180, time.Date(y, 9, 23, 0, 0, 0, 0, time.UTC)
	}
	term := kstDay(jdeToKST(solarTermJDE(lon, timeToJDE(approx))))
	// the last new moon whose KST day is on or before the term's day
	k := math.Floor((float64(approx.Year()) + float64(approx.YearDay())/365.25 - 2000) * 12.3685)
	for range 4 {
		if kstDay(jdeToKST(newMoonJDE(k))).After(term) {
			k--
		} else if !kstDay(jdeToKST(newMoonJDE(k + 1))).After(term) {
			k++
		} else {
			break
		}
	}
	start := kstDay(jdeToKST(newMoonJDE(k)))
	return start.AddDate(0, 0, day-1)
}
