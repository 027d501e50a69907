from vpnconsole.cli import main

raise SystemExit(main())
