"""The fleet view: what every commune's recorder says about itself (`beffroi status`)."""
