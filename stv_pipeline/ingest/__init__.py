"""Loading delivered files into the warehouse's `raw` schema under the DESIGN §2 contracts."""
