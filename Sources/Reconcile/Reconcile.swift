// The Reconcile module: see ../shared/DESIGN.md section 2. Filled in by its issue.
