//! Why rgctl stopped, with the exit code that says which kind of failure it was.

pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    /// The request was understood and refused, or names something that does not exist.
    pub fn refused(message: impl Into<String>) -> Failure {
        Failure {
            code: 1,
            message: message.into(),
        }
    }

    /// A flag's value is wrong.
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            code: 2,
            message: message.into(),
        }
    }

    /// The bus or a service did not answer.
    pub fn unavailable(message: impl Into<String>) -> Failure {
        Failure {
            code: 3,
            message: message.into(),
        }
    }
}

impl From<rg_bus::BusError> for Failure {
    fn from(error: rg_bus::BusError) -> Failure {
        Failure::unavailable(error.to_string())
    }
}
