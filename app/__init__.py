"""The review workbench (Streamlit): entry point main.py, pages/, components/ (UI), lib/ (no UI)."""
