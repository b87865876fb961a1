"""Streamlit demos used in the lectures (run them with ``uv run streamlit run demos/<app>.py``)."""
