package handlers

import "github.com/gin-gonic/gin"

// Sign-in, sign-out and password change: to be written.

func (s *Server) adminLoginForm(c *gin.Context)    { s.fail(c, errNoMethod) }
func (s *Server) adminLogin(c *gin.Context)        { s.fail(c, errNoMethod) }
func (s *Server) adminLogout(c *gin.Context)       { s.fail(c, errNoMethod) }
func (s *Server) adminPasswordForm(c *gin.Context) { s.fail(c, errNoMethod) }
func (s *Server) adminPassword(c *gin.Context)     { s.fail(c, errNoMethod) }
