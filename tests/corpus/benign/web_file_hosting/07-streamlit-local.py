%%writefile app.py
import streamlit as st
st.title("Label review")
st.write("rows to review:", 42)
