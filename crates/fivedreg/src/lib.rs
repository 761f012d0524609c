//! fivedreg (issue #4).
