//! Redis's geohash: a longitude and latitude interleaved into 52 bits (26 steps), the score a
//! geo member holds, its decoding and the haversine distance (Redis's `geohash.c` and
//! `geohash_helper.c`). Every formula follows Redis's arithmetic order, so scores and
//! distances come out bit-identical.

pub const LONG_MIN: f64 = -180.0;
pub const LONG_MAX: f64 = 180.0;
/// Web Mercator's limits (EPSG:900913): Redis cannot index nearer the poles.
pub const LAT_MIN: f64 = -85.051_128_78;
pub const LAT_MAX: f64 = 85.051_128_78;
/// The precision of a stored score: 26 bits of each coordinate.
pub const STEP_MAX: u8 = 26;

pub(super) const EARTH_RADIUS_M: f64 = 6_372_797.560_856;
pub(super) const MERCATOR_MAX: f64 = 20_037_726.37;
const D_R: f64 = std::f64::consts::PI / 180.0;

/// A geohash of `step` bits per coordinate; latitude bits are at even positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bits {
    pub bits: u64,
    pub step: u8,
}

impl Bits {
    pub(super) fn is_zero(self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// The score range `[min, max)` of every 52-bit hash inside this box.
    pub fn score_range(self) -> (f64, f64) {
        let shift = 52 - 2 * u32::from(self.step);
        (
            (self.bits << shift) as f64,
            ((self.bits + 1) << shift) as f64,
        )
    }
}

/// A coordinate interval.
#[derive(Debug, Clone, Copy)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

/// The area a hash covers.
#[derive(Debug, Clone, Copy)]
pub struct Area {
    pub longitude: Range,
    pub latitude: Range,
}

const WORLD_LONG: Range = Range {
    min: LONG_MIN,
    max: LONG_MAX,
};
const WORLD_LAT: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};

pub fn in_range(longitude: f64, latitude: f64) -> bool {
    (LONG_MIN..=LONG_MAX).contains(&longitude) && (LAT_MIN..=LAT_MAX).contains(&latitude)
}

/// The low 32 bits of `x` at even positions and of `y` at odd ones.
fn interleave(x: u32, y: u32) -> u64 {
    spread(x) | (spread(y) << 1)
}

fn spread(v: u32) -> u64 {
    let mut v = u64::from(v);
    v = (v | (v << 16)) & 0x0000_FFFF_0000_FFFF;
    v = (v | (v << 8)) & 0x00FF_00FF_00FF_00FF;
    v = (v | (v << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    v = (v | (v << 2)) & 0x3333_3333_3333_3333;
    (v | (v << 1)) & 0x5555_5555_5555_5555
}

fn squeeze(v: u64) -> u32 {
    let mut v = v & 0x5555_5555_5555_5555;
    v = (v | (v >> 1)) & 0x3333_3333_3333_3333;
    v = (v | (v >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
    v = (v | (v >> 4)) & 0x00FF_00FF_00FF_00FF;
    v = (v | (v >> 8)) & 0x0000_FFFF_0000_FFFF;
    ((v | (v >> 16)) & 0x0000_0000_FFFF_FFFF) as u32
}

/// Encodes a point within the given ranges; None outside them (or outside Mercator's).
pub fn encode_in(
    lon_r: Range,
    lat_r: Range,
    longitude: f64,
    latitude: f64,
    step: u8,
) -> Option<Bits> {
    if !in_range(longitude, latitude)
        || latitude < lat_r.min
        || latitude > lat_r.max
        || longitude < lon_r.min
        || longitude > lon_r.max
    {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_offset = (latitude - lat_r.min) / (lat_r.max - lat_r.min) * scale;
    let long_offset = (longitude - lon_r.min) / (lon_r.max - lon_r.min) * scale;
    // C converts the double to uint32_t by truncation; `as` does the same in range.
    Some(Bits {
        bits: interleave(lat_offset as u32, long_offset as u32),
        step,
    })
}

pub fn encode(longitude: f64, latitude: f64, step: u8) -> Option<Bits> {
    encode_in(WORLD_LONG, WORLD_LAT, longitude, latitude, step)
}

/// The 52-bit score of a point.
pub fn score_of(longitude: f64, latitude: f64) -> Option<u64> {
    encode(longitude, latitude, STEP_MAX).map(|h| h.bits << (52 - 2 * u32::from(STEP_MAX)))
}

pub fn decode(hash: Bits) -> Area {
    let lat = squeeze(hash.bits);
    let lon = squeeze(hash.bits >> 1);
    let cells = (1u64 << hash.step) as f64;
    let lat_scale = WORLD_LAT.max - WORLD_LAT.min;
    let long_scale = WORLD_LONG.max - WORLD_LONG.min;
    Area {
        latitude: Range {
            min: WORLD_LAT.min + (f64::from(lat) / cells) * lat_scale,
            max: WORLD_LAT.min + ((f64::from(lat) + 1.0) / cells) * lat_scale,
        },
        longitude: Range {
            min: WORLD_LONG.min + (f64::from(lon) / cells) * long_scale,
            max: WORLD_LONG.min + ((f64::from(lon) + 1.0) / cells) * long_scale,
        },
    }
}

/// The point a stored score stands for: the centre of its 52-bit cell, clamped.
pub fn point_of(score: f64) -> (f64, f64) {
    let area = decode(Bits {
        bits: score as u64,
        step: STEP_MAX,
    });
    let lon = ((area.longitude.min + area.longitude.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((area.latitude.min + area.latitude.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    (lon, lat)
}

/// The standard 11-character geohash (latitude in -90..90) of a stored score.
pub fn geohash_text(score: f64) -> [u8; 11] {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let (lon, lat) = point_of(score);
    let standard = Range {
        min: -90.0,
        max: 90.0,
    };
    let bits = encode_in(WORLD_LONG, standard, lon, lat, STEP_MAX).map_or(0, |h| h.bits);
    let mut out = [b'0'; 11];
    for (i, c) in out.iter_mut().take(10).enumerate() {
        *c = ALPHABET[((bits >> (52 - (i + 1) * 5)) & 0x1f) as usize];
    }
    out
}

pub(super) fn deg_rad(a: f64) -> f64 {
    a * D_R
}

pub(super) fn rad_deg(a: f64) -> f64 {
    a / D_R
}

/// The haversine great-circle distance in meters.
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (lat1r, lon1r, lat2r, lon2r) = (deg_rad(lat1), deg_rad(lon1), deg_rad(lat2), deg_rad(lon2));
    let u = ((lat2r - lat1r) / 2.0).sin();
    let v = ((lon2r - lon1r) / 2.0).sin();
    2.0 * EARTH_RADIUS_M * (u * u + lat1r.cos() * lat2r.cos() * v * v).sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleave_round_trips() {
        for (x, y) in [
            (0, 0),
            (1, 0),
            (0, 1),
            (u32::MAX, 12345),
            (0xdead_beef, 0x0123_4567),
        ] {
            let v = interleave(x, y);
            assert_eq!((squeeze(v), squeeze(v >> 1)), (x, y));
        }
    }

    #[test]
    fn scores_match_redis() {
        // GEOADD k 13.361389 38.115556 Palermo / 15.087269 37.502669 Catania in Redis 7.0.
        assert_eq!(score_of(13.361389, 38.115556), Some(3_479_099_956_230_698));
        assert_eq!(score_of(15.087269, 37.502669), Some(3_479_447_370_796_909));
        assert_eq!(&geohash_text(3_479_099_956_230_698.0), b"sqc8b49rny0");
    }
}
