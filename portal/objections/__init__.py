"""公示期异议: objections filed by the public during a batch's notice, and their resolution."""
