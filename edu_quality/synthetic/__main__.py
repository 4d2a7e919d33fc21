"""The command ``python -m edu_quality.synthetic FOLDER`` (:func:`~edu_quality.synthetic.main`)."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
