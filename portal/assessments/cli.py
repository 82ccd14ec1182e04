from flask.cli import AppGroup

assessments_cli = AppGroup("assessments", help="入院评估")
