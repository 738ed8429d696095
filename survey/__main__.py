from survey.cli import main

raise SystemExit(main())
