"""pyzeebe job workers: the automation of every service task of the two SOP processes."""
