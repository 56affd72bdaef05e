//! The area a radius or box search covers and the geohash boxes that hold it: the centre's
//! box at a step fitting the radius and its eight neighbours, the useless ones dropped, as
//! Redis's `geohashCalculateAreasByShapeWGS84` picks them. Scanning them in Redis's order
//! finds the members in Redis's order.

use super::hash::{decode, deg_rad, distance, encode, rad_deg, Bits, EARTH_RADIUS_M, MERCATOR_MAX};

/// What a search covers, in meters once multiplied by `conversion`.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    Radius(f64),
    Box { width: f64, height: f64 },
}

/// A search's centre and shape.
#[derive(Debug, Clone, Copy)]
pub struct Search {
    pub longitude: f64,
    pub latitude: f64,
    pub shape: Shape,
    /// Meters per unit.
    pub conversion: f64,
}

impl Search {
    /// The distance (meters) of a point inside the search, or None outside it.
    pub fn distance_to(&self, lon: f64, lat: f64) -> Option<f64> {
        match self.shape {
            Shape::Radius(radius) => {
                let d = distance(self.longitude, self.latitude, lon, lat);
                (d <= radius * self.conversion).then_some(d)
            }
            Shape::Box { width, height } => {
                let lon_distance = distance(lon, lat, self.longitude, lat);
                let lat_distance = distance(lon, lat, lon, self.latitude);
                if lon_distance > width * self.conversion / 2.0
                    || lat_distance > height * self.conversion / 2.0
                {
                    return None;
                }
                Some(distance(self.longitude, self.latitude, lon, lat))
            }
        }
    }

    fn half_sizes(&self) -> (f64, f64) {
        match self.shape {
            Shape::Radius(r) => (r, r),
            Shape::Box { width, height } => (width / 2.0, height / 2.0),
        }
    }

    /// [min lon, min lat, max lon, max lat] around the centre.
    fn bounding_box(&self) -> [f64; 4] {
        let (half_w, half_h) = self.half_sizes();
        let (height, width) = (self.conversion * half_h, self.conversion * half_w);
        let lat_delta = rad_deg(height / EARTH_RADIUS_M);
        let long_delta_top =
            rad_deg(width / EARTH_RADIUS_M / deg_rad(self.latitude + lat_delta).cos());
        let long_delta_bottom =
            rad_deg(width / EARTH_RADIUS_M / deg_rad(self.latitude - lat_delta).cos());
        let long_delta = if self.latitude < 0.0 {
            long_delta_bottom
        } else {
            long_delta_top
        };
        [
            self.longitude - long_delta,
            self.latitude - lat_delta,
            self.longitude + long_delta,
            self.latitude + lat_delta,
        ]
    }

    fn radius_meters(&self) -> f64 {
        let r = match self.shape {
            Shape::Radius(r) => r,
            Shape::Box { width, height } => {
                ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
            }
        };
        r * self.conversion
    }

    /// The boxes to scan, in Redis's order (centre, N, S, E, W, NE, NW, SE, SW), with the
    /// useless ones zeroed and a box equal to the previous scanned one skipped.
    pub fn boxes(&self) -> Vec<Bits> {
        let [min_lon, min_lat, max_lon, max_lat] = self.bounding_box();
        let mut steps = estimate_steps(self.radius_meters(), self.latitude);
        let mut hash = encode(self.longitude, self.latitude, steps).unwrap_or_default();
        let mut n = Neighbors::of(hash);
        let too_coarse = decode(n.north).latitude.max < max_lat
            || decode(n.south).latitude.min > min_lat
            || decode(n.east).longitude.max < max_lon
            || decode(n.west).longitude.min > min_lon;
        if steps > 1 && too_coarse {
            steps -= 1;
            hash = encode(self.longitude, self.latitude, steps).unwrap_or_default();
            n = Neighbors::of(hash);
        }
        let area = decode(hash);
        if steps >= 2 {
            if area.latitude.min < min_lat {
                [n.south, n.south_west, n.south_east] = [Bits::default(); 3];
            }
            if area.latitude.max > max_lat {
                [n.north, n.north_east, n.north_west] = [Bits::default(); 3];
            }
            if area.longitude.min < min_lon {
                [n.west, n.south_west, n.north_west] = [Bits::default(); 3];
            }
            if area.longitude.max > max_lon {
                [n.east, n.south_east, n.north_east] = [Bits::default(); 3];
            }
        }
        let all = [
            hash,
            n.north,
            n.south,
            n.east,
            n.west,
            n.north_east,
            n.north_west,
            n.south_east,
            n.south_west,
        ];
        let mut out: Vec<Bits> = Vec::new();
        for b in all.into_iter().filter(|b| !b.is_zero()) {
            if out.last() != Some(&b) {
                out.push(b);
            }
        }
        out
    }
}

fn estimate_steps(range_meters: f64, lat: f64) -> u8 {
    if range_meters == 0.0 {
        return 26;
    }
    let mut range = range_meters;
    let mut step: i32 = 1;
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

#[derive(Debug, Clone, Copy)]
struct Neighbors {
    north: Bits,
    south: Bits,
    east: Bits,
    west: Bits,
    north_east: Bits,
    north_west: Bits,
    south_east: Bits,
    south_west: Bits,
}

impl Neighbors {
    fn of(hash: Bits) -> Neighbors {
        let at = |dx: i8, dy: i8| move_y(move_x(hash, dx), dy);
        Neighbors {
            north: at(0, 1),
            south: at(0, -1),
            east: at(1, 0),
            west: at(-1, 0),
            north_east: at(1, 1),
            north_west: at(-1, 1),
            south_east: at(1, -1),
            south_west: at(-1, -1),
        }
    }
}

/// Moves a hash one cell along longitude (the odd bits), wrapping around.
fn move_x(hash: Bits, d: i8) -> Bits {
    shift_bits(hash, d, 0xaaaa_aaaa_aaaa_aaaa)
}

/// Moves a hash one cell along latitude (the even bits), wrapping around.
fn move_y(hash: Bits, d: i8) -> Bits {
    shift_bits(hash, d, 0x5555_5555_5555_5555)
}

/// Adds or subtracts one to the coordinate held in the bits of `mask`, carrying through
/// the other coordinate's bits (set to ones) so the carry skips them.
fn shift_bits(hash: Bits, d: i8, mask: u64) -> Bits {
    if d == 0 || hash.step == 0 {
        return hash;
    }
    let width = 64 - 2 * u32::from(hash.step);
    let coord = hash.bits & mask;
    let other = hash.bits & !mask;
    let gaps = !mask >> width;
    let moved = if d > 0 {
        coord.wrapping_add(gaps + 1)
    } else {
        (coord | gaps).wrapping_sub(gaps + 1)
    };
    Bits {
        bits: (moved & (mask >> width)) | other,
        step: hash.step,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_follow_the_radius_and_the_latitude() {
        assert_eq!(estimate_steps(0.0, 0.0), 26);
        // 1 km doubles 15 times past Mercator's half-width: step 16, less Redis's 2.
        assert_eq!(estimate_steps(1000.0, 0.0), 14);
        assert_eq!(estimate_steps(1000.0, 70.0), 13);
        assert_eq!(estimate_steps(1000.0, -81.0), 12);
        assert_eq!(estimate_steps(1e9, 0.0), 1);
    }

    #[test]
    fn neighbours_wrap_and_step() {
        let h = Bits {
            bits: 0b00,
            step: 1,
        };
        // At step 1 moving east of the west half lands on the east half (odd bit set).
        assert_eq!(move_x(h, 1).bits, 0b10);
        assert_eq!(move_y(h, 1).bits, 0b01);
        assert_eq!(move_x(h, -1).bits, 0b10);
    }
}
