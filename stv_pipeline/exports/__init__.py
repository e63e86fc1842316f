"""What STAR receives: disclosure control and the files of an export folder (DESIGN §4)."""
