from downline.cli import main

raise SystemExit(main())
