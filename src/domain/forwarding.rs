//! Forwarding by competence to another organization of the same instance: whether it may
//! receive the appeal, and what its new card says of where the appeal came from. The sender's
//! side of the forwarding (cover letter, results `transferred`, the notice) is the same as for
//! a body outside the instance.

use chrono::NaiveDate;

/// Why an organization of the instance cannot receive a forwarded appeal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceiverRefusal {
    /// The sender itself: forwarding by competence hands the appeal to another body.
    Own,
    /// No such organization in the instance.
    Unknown,
    /// Deactivated: it keeps its registry but receives nothing new.
    Inactive,
}

impl ReceiverRefusal {
    /// The refusal as a person reads it, naming the receiver's field.
    pub fn message(self) -> &'static str {
        match self {
            ReceiverRefusal::Own => "обращение нельзя перенаправить в свою же организацию",
            ReceiverRefusal::Unknown => "нет такой организации",
            ReceiverRefusal::Inactive => "организация отключена и не принимает новые обращения",
        }
    }
}

/// Whether organization `receiver` may receive an appeal forwarded by `sender`, given whether
/// it exists and is active (`None`: not found). Checked under the organizations' locks, so a
/// deactivation that commits first is always seen.
pub fn check_receiver(sender: &str, receiver: &str, active: Option<bool>) -> Result<(), ReceiverRefusal> {
    if sender == receiver {
        return Err(ReceiverRefusal::Own);
    }
    match active {
        None => Err(ReceiverRefusal::Unknown),
        Some(false) => Err(ReceiverRefusal::Inactive),
        Some(true) => Ok(()),
    }
}

/// The cover letter a forwarded appeal arrives with, as the receiver's card records its source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoverLetter {
    /// The sending organization's name.
    pub sender: String,
    /// The letter's outgoing number.
    pub number: Option<String>,
    /// Its date.
    pub date: Option<NaiveDate>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receiver_checks() {
        assert_eq!(check_receiver("a", "a", Some(true)), Err(ReceiverRefusal::Own));
        assert_eq!(check_receiver("a", "b", None), Err(ReceiverRefusal::Unknown));
        assert_eq!(check_receiver("a", "b", Some(false)), Err(ReceiverRefusal::Inactive));
        assert_eq!(check_receiver("a", "b", Some(true)), Ok(()));
    }
}
